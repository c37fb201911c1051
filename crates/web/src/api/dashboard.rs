//! The supervisor's dashboard (issue 12 item 7): volume by month, open
//! petitions by state, overdue duty timers by unit, the metrics with the
//! period before, the latest ranking, the top topics, areas and handling
//! units — every figure from the record, every table exportable as CSV or
//! XLSX (`table=…&format=…`). The Art. 41 annual report is built from the
//! same pieces (`crate::api::report`).
//!
//! Scope: a petition bureau, joint conference or party committee and
//! government looks at its whole area (every unit whose area lies in
//! its); any other unit at itself and the units below it.

use crate::api::ranking::{RankingView, latest_for};
use crate::api::statistics::{MetricValue, may_see, scope_of};
use crate::auth::Staff;
use crate::dto::UnitRef;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::precomputed::{self, most_first};
use crate::state::AppState;
use crate::tables::{self, Cell, Format, Table};
use crate::views::unit_ref;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::aggregate::{Dim, Scope};
use xinfang_domain::local_date;
use xinfang_domain::metrics::{Metric, Period, Tally, tally_all};
use xinfang_domain::petition::{Category, Channel, State as PetitionState};
use xinfang_domain::unit::{Unit, UnitTree};
use xinfang_store::{Counts, FactsFilter, PetitionFacts};

/// How many rows the page's charts and tables show (the API and the
/// exports carry every row).
pub const TOP: usize = 10;

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// Unit code (default: the caller's unit).
    pub unit: Option<String>,
    /// First day, `YYYY-MM-DD` (default: the first day of the month 12 months back).
    pub from: Option<String>,
    /// Last day, inclusive (default: today).
    pub to: Option<String>,
    /// With `format`: which table — `volume`, `states`, `overdue`, `metrics`, `ranking`, `topics`, `areas`, `units`, or `all` (one sheet each).
    pub table: Option<String>,
    /// `json` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct CountRow {
    pub key: String,
    pub label: String,
    pub count: i64,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct OverdueRow {
    pub unit: UnitRef,
    pub overdue: i64,
    pub due_today: i64,
    pub due_soon: i64,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct UnitLoad {
    pub unit: UnitRef,
    /// Petitions received in the period that it handles.
    pub count: i64,
    /// Of those, how many had their handling time limit (T6/S1) missed:
    /// met after the due day, or past it unmet.
    pub late: i64,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct MetricRow {
    pub metric: String,
    pub label: String,
    pub current: MetricValue,
    /// 环比: the period of equal length before.
    pub previous: MetricValue,
}

#[derive(Serialize, ToSchema)]
pub struct DashboardView {
    pub unit: UnitRef,
    /// `area` (every unit of the unit's area) or `subtree` (the unit and those below it).
    pub scope: String,
    pub from: String,
    pub to: String,
    pub as_of: String,
    /// Petitions received per month of the period (every month, zeros included).
    pub volume: Vec<CountRow>,
    pub total: i64,
    pub channels: Vec<CountRow>,
    pub categories: Vec<CountRow>,
    /// Petitions not at an end, by state (whenever received).
    pub open_by_state: Vec<CountRow>,
    /// Open duty timers by unit as of the last deadline watch, most overdue first (every unit with one due soon or late).
    pub overdue_by_unit: Vec<OverdueRow>,
    /// When the deadline watch last counted.
    pub watched_at: Option<String>,
    pub metrics: Vec<MetricRow>,
    /// The latest ranking that lists this area, or that it published.
    pub ranking: Option<RankingView>,
    /// Topics (first level), areas (next level down) and handling units, most first (all of them).
    pub topics: Vec<CountRow>,
    pub areas: Vec<CountRow>,
    pub units: Vec<UnitLoad>,
    /// `precomputed` or `recount` (docs/metrics.md "Precomputed"); the figures are the same either way.
    pub computed_from: String,
    /// Duty days (值班接访, 律师参与接访) of the scope's units within the
    /// period that a spot check found not held (issue 14; listed at
    /// `GET /api/v1/duty-roster/missed`).
    pub missed_duty_days: i64,
}

fn invalid(code: &str, field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message).at(field)
}

fn date(v: Option<&str>, field: &str) -> ApiResult<Option<NaiveDate>> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        // From `FIRST_YEAR` on, as the annual report: no period before the system's figures.
        Some(s) => xinfang_domain::plain_date(s).map(Some).ok_or_else(|| {
            invalid(
                "invalid_date",
                field,
                format!("“{s}”不是有效日期（格式YYYY-MM-DD，{}至{}年）", xinfang_domain::FIRST_YEAR, xinfang_domain::LAST_YEAR),
            )
        }),
    }
}

/// Whether a unit looks at its whole area.
pub fn area_wide(u: &Unit) -> bool {
    xinfang_domain::aggregate::area_wide(u.kind)
}

/// The units whose petitions a unit's dashboard counts.
pub fn scope_units(tree: &UnitTree, u: &Unit) -> HashSet<i64> {
    if area_wide(u) {
        tree.all().filter(|x| x.jurisdiction.starts_with(&u.jurisdiction)).map(|x| x.id).collect()
    } else {
        scope_of(tree, u, true)
    }
}

/// The unit, period and scope a request asks for, checked.
pub struct Request {
    pub unit: Unit,
    pub period: Period,
    pub units: Vec<i64>,
    /// The reading staff member's unit: the figures count nothing it may
    /// not know of (Art. 30, `crate::screen`), whatever `unit` is.
    pub reader: Unit,
}

pub fn parse(
    state: &AppState,
    staff: &Staff,
    unit: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> ApiResult<Request> {
    let tree = state.tree();
    let unit = match unit.map(str::trim).filter(|s| !s.is_empty()) {
        Some(c) => tree.by_code(c).cloned().ok_or_else(|| ApiError::not_found(&format!("单位“{c}”")))?,
        None => staff.unit.clone(),
    };
    if !may_see(&tree, &staff.unit, &unit) {
        return Err(ApiError::forbidden(format!("只能查看本单位及下级单位的统计数据，无权查看{}的统计", unit.name)));
    }
    let to = date(to, "to")?.unwrap_or(today);
    let first_day = NaiveDate::from_ymd_opt(xinfang_domain::FIRST_YEAR, 1, 1).ok_or_else(ApiError::internal)?;
    let default_from = to.with_day(1).and_then(|d| d.checked_sub_months(Months::new(12))).unwrap_or(to).max(first_day);
    let from = date(from, "from")?.unwrap_or(default_from);
    if from > to {
        return Err(invalid("invalid_range", "to", format!("截止日期{to}早于起始日期{from}")));
    }
    if from > today {
        return Err(invalid("future_period", "from", format!("起始日期{from}晚于今天，尚无数据")));
    }
    if from.checked_add_months(Months::new(crate::api::statistics::MAX_RANGE_MONTHS)).is_none_or(|l| to >= l) {
        return Err(invalid("range_too_long", "to", "统计期间不能超过3年"));
    }
    let mut units: Vec<i64> = scope_units(&tree, &unit).into_iter().collect();
    units.sort_unstable();
    Ok(Request { unit, period: Period::new(from, to), units, reader: staff.unit.clone() })
}

fn months_of(p: &Period) -> Vec<String> {
    p.months().iter().map(|m| m.from.format("%Y-%m").to_string()).collect()
}

/// Names of the divisions directly under `code` and of `code` itself
/// (two queries, whatever the number of areas).
async fn division_names(state: &AppState, code: &str) -> ApiResult<HashMap<String, String>> {
    let mut out: HashMap<String, String> = state.store.divisions(Some(code)).await?.into_iter().map(|d| (d.code, d.name)).collect();
    if let Some(d) = state.store.division(code).await? {
        out.insert(d.code, d.name);
    }
    Ok(out)
}

pub use xinfang_domain::aggregate::next_level;

/// Rows of counts with labels.
fn labelled(counts: Vec<(String, i64)>, names: &HashMap<String, String>, empty: &str) -> Vec<CountRow> {
    counts
        .into_iter()
        .map(|(key, count)| {
            let label = names.get(&key).cloned().unwrap_or_else(|| if key.is_empty() { empty.to_string() } else { key.clone() });
            CountRow { key, label, count }
        })
        .collect()
}

fn late(f: &PetitionFacts, today: NaiveDate) -> bool {
    match (f.facts.handling_due, f.facts.handling_met_on) {
        (Some(due), Some(met)) => met > due,
        (Some(due), None) => due < today,
        _ => false,
    }
}

/// The dashboard's counts and metrics, from the aggregates or the record.
struct Counted {
    by_month: HashMap<String, i64>,
    channels: Counts,
    categories: Counts,
    open_by_state: Counts,
    topics: Counts,
    areas: Counts,
    handling: Vec<(i64, i64)>,
    late: HashMap<i64, i64>,
    current: Vec<(Metric, Tally)>,
    previous: Vec<(Metric, Tally)>,
    source: &'static str,
}

/// The scope a unit's dashboard counts (see `scope_units`), as the
/// aggregates name it.
pub fn dashboard_scope(u: &Unit) -> Scope {
    if area_wide(u) { Scope::Area(u.jurisdiction.clone()) } else { Scope::Subtree(u.id) }
}

async fn from_aggregates(state: &AppState, r: &Request, today: NaiveDate, exclude: &[i64]) -> ApiResult<Option<Counted>> {
    if !precomputed::months_cover(&r.period, today) {
        return Ok(None);
    }
    let scope = dashboard_scope(&r.unit);
    let previous = r.period.previous();
    let span = Period::new(previous.from, r.period.to);
    let Some(p) = precomputed::read(state, std::slice::from_ref(&scope), span, Some(r.period), today, exclude).await? else {
        return Ok(None);
    };
    let units = |m: HashMap<String, i64>| -> HashMap<i64, i64> { m.into_iter().filter_map(|(k, n)| Some((k.parse().ok()?, n))).collect() };
    let mut handling: Vec<(i64, i64)> = units(p.counts(&scope, Dim::Handling)).into_iter().filter(|(_, n)| *n > 0).collect();
    handling.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(Some(Counted {
        by_month: p.counts(&scope, Dim::All),
        channels: most_first(p.counts(&scope, Dim::Channel)),
        categories: most_first(p.counts(&scope, Dim::Category)),
        open_by_state: most_first(p.counts(&scope, Dim::Open)),
        topics: most_first(p.counts(&scope, Dim::Topic)),
        areas: most_first(p.counts(&scope, Dim::Area)),
        handling,
        late: units(p.late(&scope)),
        current: p.metrics(&scope, &r.period),
        previous: p.metrics(&scope, &previous),
        source: precomputed::PRECOMPUTED,
    }))
}

async fn recount(state: &AppState, r: &Request, today: NaiveDate, exclude: &[i64]) -> ApiResult<Counted> {
    let units = &r.units;
    let in_scope: HashSet<i64> = units.iter().copied().collect();
    let facts = state
        .store
        .statistics_facts(&FactsFilter {
            units: units.clone(),
            received_until: Some(r.period.to),
            topic: None,
            channel: None,
            snapshots: precomputed::snapshots(state),
            exclude: exclude.to_vec(),
        })
        .await?;
    // The petitions received in the period, counted from the same facts
    // (one read) as the recount's metrics; open petitions by state whenever
    // received (also after `to`) from the record.
    let digits = next_level(r.unit.jurisdiction.len());
    let mut by_month: HashMap<String, i64> = HashMap::new();
    let (mut channels, mut categories, mut topics, mut areas) =
        (HashMap::<String, i64>::new(), HashMap::<String, i64>::new(), HashMap::<String, i64>::new(), HashMap::<String, i64>::new());
    let mut handling: HashMap<i64, i64> = HashMap::new();
    let mut late_by_unit: HashMap<i64, i64> = HashMap::new();
    for p in facts.iter().filter(|p| r.period.contains(p.facts.received_on)) {
        *by_month.entry(p.facts.received_on.format("%Y-%m").to_string()).or_default() += 1;
        *channels.entry(p.channel.clone()).or_default() += 1;
        *categories.entry(p.facts.category.as_str().to_string()).or_default() += 1;
        *topics.entry(p.topic.as_deref().unwrap_or("").chars().take(2).collect()).or_default() += 1;
        *areas.entry(p.jurisdiction.chars().take(digits).collect()).or_default() += 1;
        if let Some(u) = p.facts.handling_unit {
            if in_scope.contains(&u) {
                *handling.entry(u).or_default() += 1;
            }
            if late(p, today) {
                *late_by_unit.entry(u).or_default() += 1;
            }
        }
    }
    let mut handling: Vec<(i64, i64)> = handling.into_iter().collect();
    handling.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(Counted {
        by_month,
        channels: most_first(channels),
        categories: most_first(categories),
        open_by_state: state.store.open_by_state(units, exclude).await?,
        topics: most_first(topics),
        areas: most_first(areas),
        handling,
        late: late_by_unit,
        current: tally_all(facts.iter().map(|p| &p.facts), &r.period, today, |u| in_scope.contains(&u)),
        previous: tally_all(facts.iter().map(|p| &p.facts), &r.period.previous(), today, |u| in_scope.contains(&u)),
        source: precomputed::RECOUNT,
    })
}

/// Everything the dashboard shows.
pub async fn build(state: &AppState, r: &Request, today: NaiveDate) -> ApiResult<DashboardView> {
    let (from, to) = (r.period.from, r.period.to);
    let tree = state.tree();
    let in_scope: HashSet<i64> = r.units.iter().copied().collect();
    // Art. 30: nothing the reader may not know of counts, in any table.
    let screened = crate::screen::screened(state, &r.reader).await?;
    let exclude = crate::screen::ids_in(&screened, &in_scope);
    let c = match from_aggregates(state, r, today, &exclude).await? {
        Some(c) => c,
        None => recount(state, r, today, &exclude).await?,
    };

    let (first, last) = (from.to_string(), to.to_string());
    let missed_duty_days = state.store.missed_duties(&r.units).await?.iter().filter(|d| d.day >= first && d.day <= last).count() as i64;
    let volume: Vec<CountRow> = months_of(&r.period)
        .into_iter()
        .map(|m| CountRow { label: xinfang_domain::ranking::month_label(&m), count: c.by_month.get(&m).copied().unwrap_or(0), key: m })
        .collect();
    let total = volume.iter().map(|v| v.count).sum();
    let channel_names: HashMap<String, String> = Channel::ALL.iter().map(|c| (c.as_str().to_string(), c.label().to_string())).collect();
    let channels = labelled(c.channels, &channel_names, "未知");
    let category_names: HashMap<String, String> = Category::ALL.iter().map(|c| (c.as_str().to_string(), c.label().to_string())).collect();
    let categories = labelled(c.categories, &category_names, "未知");
    let state_names: HashMap<String, String> = PetitionState::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())).collect();
    let open_by_state = labelled(c.open_by_state, &state_names, "未知");

    let (watch, when) = crate::screen::watch_counts_for(state, &screened, &in_scope).await?;
    let mut overdue_by_unit: Vec<OverdueRow> = watch
        .iter()
        .filter(|w| in_scope.contains(&w.unit_id) && (w.overdue + w.due_today + w.due_soon) > 0)
        .filter_map(|w| {
            Some(OverdueRow { unit: unit_ref(tree.get(w.unit_id)?), overdue: w.overdue, due_today: w.due_today, due_soon: w.due_soon })
        })
        .collect();
    overdue_by_unit.sort_by(|a, b| {
        (b.overdue, b.due_today, b.due_soon).cmp(&(a.overdue, a.due_today, a.due_soon)).then(a.unit.code.cmp(&b.unit.code))
    });

    let metrics = c
        .current
        .iter()
        .zip(&c.previous)
        .map(|((m, cur), (_, prev))| MetricRow {
            metric: m.as_str().into(),
            label: m.label().into(),
            current: (*cur).into(),
            previous: (*prev).into(),
        })
        .collect();

    let topic_names: HashMap<String, String> = state.store.topics().await?.into_iter().map(|t| (t.code, t.name)).collect();
    let topics = labelled(c.topics, &topic_names, "未分类");
    let names = division_names(state, &r.unit.jurisdiction).await?;
    let areas = labelled(c.areas, &names, "未知");
    let units_rows = c
        .handling
        .into_iter()
        .filter_map(|(u, count)| Some(UnitLoad { unit: unit_ref(tree.get(u)?), count, late: c.late.get(&u).copied().unwrap_or(0) }))
        .collect();
    let ranking = latest_for(state, &r.unit).await?;
    Ok(DashboardView {
        unit: unit_ref(&r.unit),
        scope: if area_wide(&r.unit) { "area" } else { "subtree" }.into(),
        from: from.to_string(),
        to: to.to_string(),
        as_of: today.to_string(),
        volume,
        total,
        channels,
        categories,
        open_by_state,
        overdue_by_unit,
        watched_at: when.map(|w| w.1),
        metrics,
        ranking,
        topics,
        areas,
        units: units_rows,
        computed_from: c.source.into(),
        missed_duty_days,
    })
}

fn pct(v: &MetricValue) -> Cell {
    Cell::opt(v.value)
}

fn count_table(title: &str, key: &str, rows: &[CountRow]) -> Table {
    Table {
        title: title.into(),
        header: vec![key.into(), "名称".into(), "件数".into()],
        rows: rows.iter().map(|r| vec![Cell::text(r.key.clone()), Cell::text(r.label.clone()), Cell::count(r.count)]).collect(),
    }
}

/// The dashboard's tables, by name (the order of `table=all`).
pub fn tables_of(v: &DashboardView) -> Vec<(&'static str, Table)> {
    let mut out = vec![
        ("volume", count_table("信访量", "月份", &v.volume)),
        ("states", count_table("在办状态", "状态", &v.open_by_state)),
        (
            "overdue",
            Table {
                title: "超期单位".into(),
                header: vec!["单位代码".into(), "单位".into(), "已超期".into(), "今日到期".into(), "即将到期".into()],
                rows: v
                    .overdue_by_unit
                    .iter()
                    .map(|r| {
                        vec![
                            Cell::text(r.unit.code.clone()),
                            Cell::text(r.unit.name.clone()),
                            Cell::count(r.overdue),
                            Cell::count(r.due_today),
                            Cell::count(r.due_soon),
                        ]
                    })
                    .collect(),
            },
        ),
        (
            "metrics",
            Table {
                title: "主要指标".into(),
                header: ["指标", "指标代码", "本期分子", "本期分母", "本期比率", "上期分子", "上期分母", "上期比率"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                rows: v
                    .metrics
                    .iter()
                    .map(|m| {
                        vec![
                            Cell::text(m.label.clone()),
                            Cell::text(m.metric.clone()),
                            Cell::Number(m.current.numerator as f64),
                            Cell::Number(m.current.denominator as f64),
                            pct(&m.current),
                            Cell::Number(m.previous.numerator as f64),
                            Cell::Number(m.previous.denominator as f64),
                            pct(&m.previous),
                        ]
                    })
                    .collect(),
            },
        ),
    ];
    if let Some(r) = &v.ranking {
        out.push(("ranking", crate::api::ranking::as_table(r)));
    }
    out.push(("topics", count_table("问题领域", "分类代码", &v.topics)));
    out.push(("areas", count_table("地区分布", "区划代码", &v.areas)));
    out.push((
        "units",
        Table {
            title: "责任单位".into(),
            header: vec!["单位代码".into(), "单位".into(), "件数".into(), "超期办理".into()],
            rows: v
                .units
                .iter()
                .map(|u| vec![Cell::text(u.unit.code.clone()), Cell::text(u.unit.name.clone()), Cell::count(u.count), Cell::count(u.late)])
                .collect(),
        },
    ));
    out
}

/// The names `table=` accepts.
pub const TABLES: [&str; 8] = ["volume", "states", "overdue", "metrics", "ranking", "topics", "areas", "units"];

#[utoipa::path(get, path = "/api/v1/dashboard", tag = "statistics", security(("bearer" = [])), params(DashboardQuery),
    description = "The supervisor's dashboard for a unit (a petition bureau, joint conference or party committee: its whole area; other units: themselves and the units below) and a period (default: the last 13 months): volume by month, channel and category; open petitions by state; open duty timers by unit as the deadline watch last counted them; the metrics of docs/metrics.md with the period before (环比); the latest ranking; the top topics, areas and handling units. With `format=csv|xlsx` one table (`table=volume|states|overdue|metrics|ranking|topics|areas|units`) or all of them (`table=all`, XLSX: one sheet each).",
    responses((status = 200, body = DashboardView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn show(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<DashboardQuery>) -> ApiResult<Response> {
    let format = Format::parse(q.format.as_deref())?;
    let table = q.table.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("all").to_string();
    if table != "all" && !TABLES.contains(&table.as_str()) {
        return Err(invalid("invalid_parameter", "table", format!("table只能是{}或all，不能是“{table}”", TABLES.join("、"))));
    }
    let today = local_date(Utc::now());
    let r = parse(&state, &staff, q.unit.as_deref(), q.from.as_deref(), q.to.as_deref(), today)?;
    let v = build(&state, &r, today).await?;
    let Some(format) = format else { return Ok(Json(v).into_response()) };
    let chosen: Vec<Table> = tables_of(&v).into_iter().filter(|(k, _)| table == "all" || *k == table).map(|(_, t)| t).collect();
    if chosen.is_empty() {
        return Err(ApiError::not_found("该表（本单位尚无排名）"));
    }
    tables::file_response(&chosen, format, &format!("dashboard-{}-{}-{}-{table}", v.unit.code, v.from, v.to))
}
