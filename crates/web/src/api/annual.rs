//! The annual report on petition work (《信访工作条例》第四十一条): for a
//! unit's area (or the unit and those below it) and a year — the volume by
//! channel and category, the metrics against the year before (同比), the
//! issue areas, the areas and the units most petitions concern, the
//! forwarding, assignment and supervision done, and the suggestions made
//! and whether they were adopted. Built from the dashboard's queries; as
//! JSON, a PDF report (typeset like the letters) or a workbook.

use crate::api::dashboard::{self, CountRow, MetricRow, UnitLoad};
use crate::auth::Staff;
use crate::documents::{not_ready, render_bytes};
use crate::dto::UnitRef;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::state::AppState;
use crate::tables::{self, Cell, Format, Table};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::letters::cn_date;
use xinfang_domain::local_date;
use xinfang_domain::petition::Category;
use xinfang_domain::supervision::SupervisionKind;
use xinfang_store::fmt_instant;

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct AnnualQuery {
    /// Unit code (default: the caller's unit).
    pub unit: Option<String>,
    /// The year, e.g. `2026` (default: last year).
    pub year: Option<String>,
    /// `pdf` (default), `json`, `csv` or `xlsx`.
    pub format: Option<String>,
}

#[derive(Serialize, ToSchema, Debug, Clone)]
pub struct Line {
    pub label: String,
    pub count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct AnnualReport {
    pub unit: UnitRef,
    pub scope: String,
    pub year: i32,
    /// The day the figures were read (a report of the current year is partial).
    pub as_of: String,
    pub total: i64,
    pub total_year_before: i64,
    pub volume: Vec<Line>,
    /// The year, against the year before (`previous` is 同比 here).
    pub metrics: Vec<MetricRow>,
    pub topics: Vec<CountRow>,
    pub areas: Vec<CountRow>,
    pub units: Vec<UnitLoad>,
    /// 转送, 交办, 督办 (acts on petitions) and the supervision cases opened, by kind.
    pub instruments: Vec<Line>,
    /// Suggestion petitions received and the answers' adoption (the
    /// bureau's own policy suggestions of Art. 41 are not recorded yet).
    pub suggestions: Vec<Line>,
}

fn share(n: i64, total: i64) -> String {
    if total == 0 { "—".into() } else { format!("{:.1}%", n as f64 * 100.0 / total as f64) }
}

/// Midnight Beijing time of `d` as stored instants are written.
fn beijing_midnight(d: NaiveDate) -> String {
    fmt_instant(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc() - chrono::Duration::hours(8)).unwrap_or_default())
}

pub async fn build(state: &AppState, staff: &Staff, q: &AnnualQuery) -> ApiResult<AnnualReport> {
    let today = local_date(Utc::now());
    let year = match q.year.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => today.year() - 1,
        Some(y) => y.parse::<i32>().ok().filter(|y| (xinfang_domain::FIRST_YEAR..=today.year()).contains(y)).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_parameter",
                format!("年份“{y}”不正确（{}年至今年）", xinfang_domain::FIRST_YEAR),
            )
            .at("year")
        })?,
    };
    let (from, to) = (
        NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(ApiError::internal)?,
        NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(ApiError::internal)?,
    );
    let r = dashboard::parse(state, staff, q.unit.as_deref(), Some(&from.to_string()), Some(&to.to_string()), today)?;
    // Art. 41: the report is the petition work body's (a bureau, the joint
    // conference, or the party committee and government), for its area.
    if !dashboard::area_wide(&r.unit) {
        return Err(ApiError::forbidden(format!("年度信访工作报告由信访部门编制；{}可查看统计分析", r.unit.name)));
    }
    let d = dashboard::build(state, &r, today).await?;
    let units = &r.units;
    // 同比: the year before — its volume and its metrics — from the
    // precomputed statistics when they can answer, else recounted.
    let period = xinfang_domain::metrics::Period::new(from, to);
    let year_ago = period.year_earlier();
    let scope_key = dashboard::dashboard_scope(&r.unit);
    // Art. 30: the year before counts nothing the reader may not know of either.
    let in_scope: std::collections::HashSet<i64> = units.iter().copied().collect();
    let screened = crate::screen::screened(state, &r.reader).await?;
    let exclude = crate::screen::ids_in(&screened, &in_scope);
    let (total_year_before, prev) =
        match crate::precomputed::read(state, std::slice::from_ref(&scope_key), year_ago, Some(year_ago), today, &exclude).await? {
            Some(p) => (p.counts(&scope_key, xinfang_domain::aggregate::Dim::All).values().sum::<i64>(), p.metrics(&scope_key, &year_ago)),
            None => {
                let total: i64 =
                    state.store.received_by_month(units, year_ago.from, year_ago.to, &exclude).await?.iter().map(|c| c.1).sum();
                let facts = state
                    .store
                    .statistics_facts(&xinfang_store::FactsFilter {
                        units: units.clone(),
                        received_until: Some(to),
                        topic: None,
                        channel: None,
                        snapshots: crate::precomputed::snapshots(state),
                        exclude: exclude.clone(),
                    })
                    .await?;
                let scope: std::collections::HashSet<i64> = units.iter().copied().collect();
                (total, xinfang_domain::metrics::tally_all(facts.iter().map(|p| &p.facts), &year_ago, today, |u| scope.contains(&u)))
            }
        };
    let metrics = d.metrics.iter().zip(prev).map(|(m, (_, p))| MetricRow { previous: p.into(), ..m.clone() }).collect();

    let mut volume = vec![Line { label: "登记或承办的信访事项".into(), count: d.total }];
    volume.extend(d.channels.iter().map(|c| Line { label: format!("其中：{}", c.label), count: c.count }));
    volume.extend(d.categories.iter().map(|c| Line { label: format!("其中：{}", c.label), count: c.count }));

    let (start, end) = (beijing_midnight(from), beijing_midnight(to.succ_opt().unwrap_or(to)));
    let acts: HashMap<String, i64> = state
        .store
        .acts_by_action(units, &start, &end, &["forward", "assign", "supervise", "reply"], &exclude)
        .await?
        .into_iter()
        .collect();
    // A case opened on a screened accusation is left out wherever that
    // accusation is registered or handled.
    let every_screened: Vec<i64> = screened.iter().map(|s| s.id).collect();
    let cases: HashMap<String, i64> =
        state.store.supervision_opened_by_kind(units, &start, &end, &every_screened).await?.into_iter().collect();
    let mut instruments = vec![
        Line { label: "转送".into(), count: acts.get("forward").copied().unwrap_or(0) },
        Line { label: "交办".into(), count: acts.get("assign").copied().unwrap_or(0) },
        Line { label: "督办（事项）".into(), count: acts.get("supervise").copied().unwrap_or(0) },
    ];
    instruments.extend(
        SupervisionKind::ALL
            .iter()
            .map(|k| Line { label: format!("立案：{}", k.label()), count: cases.get(k.as_str()).copied().unwrap_or(0) }),
    );
    let received_suggestions = d.categories.iter().find(|c| c.key == Category::Suggestion.as_str()).map_or(0, |c| c.count);
    let suggestions = vec![
        Line { label: "收到建议意见类信访事项".into(), count: received_suggestions },
        Line { label: "答复：采纳".into(), count: acts.get("reply:adopted").copied().unwrap_or(0) },
        Line { label: "答复：部分采纳".into(), count: acts.get("reply:partly_adopted").copied().unwrap_or(0) },
        Line { label: "答复：未采纳".into(), count: acts.get("reply:not_adopted").copied().unwrap_or(0) },
    ];
    Ok(AnnualReport {
        unit: d.unit,
        scope: d.scope,
        year,
        as_of: today.to_string(),
        total: d.total,
        total_year_before,
        volume,
        metrics,
        topics: d.topics,
        areas: d.areas,
        units: d.units,
        instruments,
        suggestions,
    })
}

fn summary(a: &AnnualReport) -> String {
    let change = if a.total_year_before == 0 {
        String::new()
    } else {
        let pct = (a.total - a.total_year_before) as f64 * 100.0 / a.total_year_before as f64;
        format!("，较上年{}{:.1}%", if pct >= 0.0 { "上升" } else { "下降" }, pct.abs())
    };
    let partial = if a.as_of < format!("{}-12-31", a.year) { format!("（截至{}）", a.as_of) } else { String::new() };
    let scope = if a.scope == "area" { "本地区各单位" } else { "本单位及下级单位" };
    format!("{}年{}，{}{scope}登记或承办的信访事项共{}件{change}。", a.year, partial, a.unit.name, a.total)
}

/// The report as the `annual_report` template's fields.
pub fn letter_data(a: &AnnualReport, issued_on: NaiveDate) -> serde_json::Value {
    let lines = |v: &[Line]| v.iter().map(|l| json!([l.label, l.count.to_string()])).collect::<Vec<_>>();
    let counts = |v: &[CountRow]| v.iter().map(|c| json!([c.label, c.count.to_string(), share(c.count, a.total)])).collect::<Vec<_>>();
    json!({
        "title": format!("{}{}年度信访工作报告", a.unit.name, a.year),
        "issuer": a.unit.name,
        "issued_on": cn_date(issued_on),
        "article": "《信访工作条例》第四十一条",
        "year": a.year.to_string(),
        "summary": summary(a),
        "volume": lines(&a.volume),
        "metrics": a.metrics.iter().map(|m| json!([m.label, m.current.numerator.to_string(), m.current.denominator.to_string(),
            m.current.value.map_or("—".to_string(), |v| format!("{:.1}%", v * 100.0))])).collect::<Vec<_>>(),
        "topics": counts(&a.topics),
        "areas": counts(&a.areas),
        "units": a.units.iter().map(|u| json!([u.unit.name, u.count.to_string(), u.late.to_string()])).collect::<Vec<_>>(),
        "instruments": lines(&a.instruments),
        "suggestions": lines(&a.suggestions),
    })
}

/// The report's tables (one sheet each in XLSX).
pub fn tables_of(a: &AnnualReport) -> Vec<Table> {
    let lines = |title: &str, v: &[Line]| Table {
        title: title.into(),
        header: vec!["项目".into(), "件数".into()],
        rows: v.iter().map(|l| vec![Cell::text(l.label.clone()), Cell::count(l.count)]).collect(),
    };
    let counts = |title: &str, v: &[CountRow]| Table {
        title: title.into(),
        header: vec!["代码".into(), "名称".into(), "件数".into()],
        rows: v.iter().map(|c| vec![Cell::text(c.key.clone()), Cell::text(c.label.clone()), Cell::count(c.count)]).collect(),
    };
    vec![
        lines("信访总体情况", &a.volume),
        Table {
            title: "主要工作指标".into(),
            header: ["指标", "本年分子", "本年分母", "本年比率", "上年分子", "上年分母", "上年比率"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            rows: a
                .metrics
                .iter()
                .map(|m| {
                    vec![
                        Cell::text(m.label.clone()),
                        Cell::Number(m.current.numerator as f64),
                        Cell::Number(m.current.denominator as f64),
                        Cell::opt(m.current.value),
                        Cell::Number(m.previous.numerator as f64),
                        Cell::Number(m.previous.denominator as f64),
                        Cell::opt(m.previous.value),
                    ]
                })
                .collect(),
        },
        counts("问题领域", &a.topics),
        counts("地区", &a.areas),
        Table {
            title: "被反映较多的单位".into(),
            header: vec!["单位代码".into(), "单位".into(), "件数".into(), "超期办理".into()],
            rows: a
                .units
                .iter()
                .map(|u| vec![Cell::text(u.unit.code.clone()), Cell::text(u.unit.name.clone()), Cell::count(u.count), Cell::count(u.late)])
                .collect(),
        },
        lines("转送交办督办", &a.instruments),
        lines("意见建议", &a.suggestions),
    ]
}

#[utoipa::path(get, path = "/api/v1/reports/annual", tag = "statistics", security(("bearer" = [])), params(AnnualQuery),
    description = "The annual report of Art. 41 for a unit (its area, or itself and the units below) and a year: volume by channel and category, the metrics against the year before, issue areas, areas and units most petitions concern (with late handling), forwarding / assignment / supervision counts, suggestions and their adoption. `format=pdf` (default) typesets it; `json`, `csv`, `xlsx` give the figures.",
    responses((status = 200, body = AnnualReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn show(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<AnnualQuery>) -> ApiResult<Response> {
    let format = q.format.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("pdf").to_string();
    if !matches!(format.as_str(), "pdf" | "json" | "csv" | "xlsx") {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_parameter",
            format!("报告格式只能是pdf、json、csv或xlsx，不能是“{format}”"),
        )
        .at("format"));
    }
    let file_format = if format == "pdf" { None } else { Format::parse(Some(&format))? };
    let a = build(&state, &staff, &q).await?;
    let stem = format!("annual-report-{}-{}", a.unit.code, a.year);
    match (format.as_str(), file_format) {
        ("pdf", _) => {
            let pdf = render_bytes(&state, "annual_report", letter_data(&a, local_date(Utc::now()))).await.map_err(not_ready)?;
            Ok((
                [
                    (header::CONTENT_TYPE, "application/pdf".to_string()),
                    (header::CONTENT_DISPOSITION, format!("inline; filename=\"{stem}.pdf\"")),
                    (header::CACHE_CONTROL, "private, no-cache".into()),
                ],
                pdf,
            )
                .into_response())
        }
        (_, Some(f)) => tables::file_response(&tables_of(&a), f, &stem),
        (_, None) => Ok(Json(a).into_response()),
    }
}
