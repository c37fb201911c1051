//! The supervisor's dashboard and the monthly ranking on the workbench
//! (issue 12 item 5 and 7): charts drawn on the server (`crate::charts`)
//! beside the tables they draw, every table downloadable as XLSX or CSV,
//! the Art. 41 annual report, the ranking with its three-colour warnings,
//! letters and rectification, and the week's hot spots (热点与苗头性问题,
//! issue 13). Everything goes through the API handlers
//! (`xinfang_web::api::{dashboard, ranking, annual, hotspots}`).

use crate::charts;
use crate::render;
use crate::workbench::{Me, chinese_only, me, staff};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use serde::Deserialize;
use std::collections::HashMap;
use xinfang_web::AppState;
use xinfang_web::api::annual::{self, AnnualQuery};
use xinfang_web::api::dashboard::{self, DashboardQuery, DashboardView};
use xinfang_web::api::hotspots::{self, HotspotPage, HotspotQuery};
use xinfang_web::api::ranking::{self, RankingInput, RankingQuery, RankingSummary, RankingView};
use xinfang_web::api::statistics::MetricValue;
use xinfang_web::auth::Staff;
use xinfang_web::error::ApiError;
use xinfang_web::extract::{ApiJson, ApiPath, ApiQuery};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff/dashboard", get(page))
        .route("/staff/dashboard/export", get(export))
        .route("/staff/dashboard/annual-report", get(annual_report))
        .route("/staff/rankings", get(rankings).post(publish))
        .route("/staff/rankings/{id}", get(ranking_page))
        .route("/staff/unit-documents/{id}", get(unit_document))
}

/// A rate as the tables print it.
pub fn pct(v: &MetricValue) -> String {
    v.value.map(|x| format!("{:.1}%", x * 100.0)).unwrap_or_else(|| "—".into())
}

/// The change from `before` to `now`, in percentage points.
pub fn change(now: &MetricValue, before: &MetricValue) -> String {
    match (now.value, before.value) {
        (Some(a), Some(b)) => {
            let d = (a - b) * 100.0;
            if d.abs() < 0.05 { "持平".into() } else { format!("{}{:.1}个百分点", if d > 0.0 { "↑" } else { "↓" }, d.abs()) }
        }
        _ => "—".into(),
    }
}

/// A month's bar label: `11月`, with the year (`26年1月`) on the first bar
/// and where the year turns.
fn short_month(key: &str, first: bool) -> String {
    match key.split_once('-') {
        Some((y, m)) if first || m == "01" => format!("{}年{}月", y.get(2..).unwrap_or(y), m.trim_start_matches('0')),
        Some((_, m)) => format!("{}月", m.trim_start_matches('0')),
        None => key.to_string(),
    }
}

/// An instant as staff read it (Beijing time, to the minute).
pub fn when(s: &Option<String>) -> String {
    s.as_deref().map(crate::portal::local_time).unwrap_or_default()
}

/// A score as printed.
pub fn score(v: &Option<f64>) -> String {
    v.map(|s| format!("{s:.2}")).unwrap_or_else(|| "—".into())
}

#[derive(Template)]
#[template(path = "staff_dashboard.html")]
struct DashboardPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    d: DashboardView,
    /// The query string that reproduces the page (for the export links).
    query: String,
    volume_chart: String,
    states_chart: String,
    overdue_chart: String,
    topics_chart: String,
    areas_chart: String,
    last_year: i32,
    /// Whether the unit writes the Art. 41 annual report (a bureau, …).
    report: bool,
    hot: HotSpots,
}

/// What the dashboard asks of the hot spots API: the fewest petitions in
/// the last seven days and the largest p-value of a spike (the API's
/// defaults, named here so that the page can say them).
const HOT_MIN_COUNT: u32 = 5;
const HOT_ALPHA: f64 = 0.01;

/// One spike of the hot spots section, ready to print.
pub struct SpikeRow {
    pub topic_label: String,
    pub area_name: String,
    pub observed: u32,
    /// The weekly mean of the history, one decimal.
    pub expected: String,
    /// `p<0.0001`, or the p-value to four decimals.
    pub p_value: String,
    pub z: String,
    /// (number, title) of the petitions behind the spike.
    pub petitions: Vec<(String, String)>,
    /// The 苗头性问题 line the API wrote for this spike.
    pub summary: String,
}

/// The section 热点与苗头性问题: what `GET /api/v1/hotspots` answers.
#[derive(Default)]
pub struct HotSpots {
    /// The last seven days, first and last Beijing date.
    pub from: String,
    pub to: String,
    pub weeks: usize,
    pub min_count: u32,
    pub alpha: f64,
    pub spikes: Vec<SpikeRow>,
    /// Said when the viewed unit is not the caller's own (the petitions
    /// named are those the caller sees).
    pub scope_note: Option<String>,
    /// Why the section could not be produced, in Chinese.
    pub failed: Option<String>,
}

/// A p-value as printed: tiny ones as `<0.0001`.
fn p_text(p: f64) -> String {
    if p < 0.0001 { "<0.0001".into() } else { format!("{p:.4}") }
}

/// The hot spots section from the API's answer: the petitions the viewed
/// unit's dashboard counts (the API's `unit`); the petitions named behind
/// a spike are those the caller sees, and the page says so when the viewed
/// unit is not the caller's own.
fn hot_rows(page: HotspotPage, s: &Staff, viewed: &xinfang_domain::unit::Unit) -> HotSpots {
    let other = viewed.id != s.unit.id;
    let HotspotPage { from, to, weeks, spikes, summary, .. } = page;
    let spikes = spikes
        .into_iter()
        .zip(summary.into_iter().map(Some).chain(std::iter::repeat(None)))
        .map(|(h, line)| SpikeRow {
            summary: line.unwrap_or_default(),
            // An empty history's mean is a small floor, not "0.0 a week".
            expected: if xinfang_web::api::hotspots::earlier_total(h.expected, weeks) == 0 {
                "0".into()
            } else {
                format!("{:.1}", h.expected)
            },
            p_value: p_text(h.p_value),
            z: format!("{:.2}", h.z),
            topic_label: h.topic_label,
            area_name: h.area_name,
            observed: h.observed,
            petitions: h.items.into_iter().map(|i| (i.number, i.title)).collect(),
        })
        .collect();
    let scope_note =
        other.then(|| format!("按{}的统计范围计算；每个热点下列出的信访事项限于您所在单位（{}）可以查看的。", viewed.name, s.unit.name));
    HotSpots { from, to, weeks, min_count: HOT_MIN_COUNT, alpha: HOT_ALPHA, spikes, scope_note, failed: None }
}

async fn hot_spots(state: &AppState, s: &Staff, viewed: &xinfang_domain::unit::Unit) -> HotSpots {
    let unit = (viewed.id != s.unit.id).then(|| viewed.code.clone());
    let q = HotspotQuery { weeks: None, min_count: Some(HOT_MIN_COUNT), alpha: Some(HOT_ALPHA), unit };
    match hotspots::hotspots(State(state.clone()), s.clone(), ApiQuery(q)).await {
        Ok(Json(page)) => hot_rows(page, s, viewed),
        Err(e) => {
            tracing::warn!(error = %e.message, "hot spots for the dashboard failed");
            HotSpots { failed: Some(format!("热点分析暂时无法显示：{}", chinese_only(&e.message))), ..HotSpots::default() }
        }
    }
}

#[derive(Deserialize, Default)]
struct PageQuery {
    unit: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

fn encode(q: &PageQuery) -> String {
    let mut parts = Vec::new();
    for (k, v) in [("unit", &q.unit), ("from", &q.from), ("to", &q.to)] {
        if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", xinfang_web::api::petitions::percent(v)));
        }
    }
    parts.join("&")
}

fn failed(s: &Staff, headers: &HeaderMap, e: ApiError) -> Response {
    crate::staff_error_page(s, headers, e.status, "无法查看", &e.message)
}

async fn page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<PageQuery>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let today = xinfang_domain::local_date(chrono::Utc::now());
    let r = match dashboard::parse(&state, &s, q.unit.as_deref(), q.from.as_deref(), q.to.as_deref(), today) {
        Ok(r) => r,
        Err(e) => return failed(&s, &headers, e),
    };
    let d = match dashboard::build(&state, &r, today).await {
        Ok(d) => d,
        Err(e) => return failed(&s, &headers, e),
    };
    let volume_chart = charts::columns(
        "chart-volume",
        &format!("信访量趋势（{}至{}，共{}件）", d.from, d.to, d.total),
        &d.volume.iter().enumerate().map(|(i, v)| (short_month(&v.key, i == 0), v.count as f64)).collect::<Vec<_>>(),
    );
    let top = dashboard::TOP;
    let states_chart = charts::bars(
        "chart-states",
        "在办事项状态分布",
        &d.open_by_state.iter().map(|v| (v.label.clone(), v.count as f64)).collect::<Vec<_>>(),
        None,
    );
    let overdue: Vec<(String, f64)> =
        d.overdue_by_unit.iter().take(top).map(|o| (o.unit.name.clone(), (o.overdue + o.due_today + o.due_soon) as f64)).collect();
    let first: Vec<f64> = d.overdue_by_unit.iter().take(top).map(|o| o.overdue as f64).collect();
    let overdue_chart =
        charts::bars("chart-overdue", "各单位超期和临期时限（前10位）", &overdue, Some(("已超期", "今日及即将到期", &first)));
    let top_bars = |rows: &[dashboard::CountRow]| rows.iter().take(top).map(|v| (v.label.clone(), v.count as f64)).collect::<Vec<_>>();
    let topics_chart = charts::bars("chart-topics", "问题领域（前10位）", &top_bars(&d.topics), None);
    let areas_chart = charts::bars("chart-areas", "地区分布（前10位）", &top_bars(&d.areas), None);
    let hot = hot_spots(&state, &s, &r.unit).await;
    let (csrf, set) = crate::portal::csrf(&headers);
    use chrono::Datelike;
    let page = DashboardPage {
        me: me(&s),
        nav: "dashboard",
        csrf,
        flash: None,
        alert: None,
        query: encode(&q),
        d,
        volume_chart,
        states_chart,
        overdue_chart,
        topics_chart,
        areas_chart,
        last_year: today.year() - 1,
        report: dashboard::area_wide(&r.unit),
        hot,
    };
    crate::portal::with_cookie(render(&page), set)
}

#[derive(Deserialize, Default)]
struct ExportQuery {
    unit: Option<String>,
    from: Option<String>,
    to: Option<String>,
    table: Option<String>,
    format: Option<String>,
}

async fn export(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<ExportQuery>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let q =
        DashboardQuery { unit: q.unit, from: q.from, to: q.to, table: q.table, format: Some(q.format.unwrap_or_else(|| "xlsx".into())) };
    dashboard::show(State(state), s.clone(), ApiQuery(q)).await.unwrap_or_else(|e| failed(&s, &headers, e))
}

#[derive(Deserialize, Default)]
struct AnnualPageQuery {
    unit: Option<String>,
    year: Option<String>,
    format: Option<String>,
}

async fn annual_report(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<AnnualPageQuery>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    annual::show(State(state), s.clone(), ApiQuery(AnnualQuery { unit: q.unit, year: q.year, format: q.format }))
        .await
        .unwrap_or_else(|e| failed(&s, &headers, e))
}

async fn unit_document(State(state): State<AppState>, headers: HeaderMap, crate::IdPath(id): crate::IdPath) -> Response {
    match staff(&state, &headers).await {
        Ok(s) => ranking::unit_document(State(state), s.clone(), ApiPath(id)).await.unwrap_or_else(|e| failed(&s, &headers, e)),
        Err(r) => r,
    }
}

// ----- Rankings --------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff_rankings.html")]
struct RankingsPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    /// The rankings this unit published.
    list: Vec<RankingSummary>,
    /// The latest ranking of this unit's area by the bureau above, if any.
    above: Option<RankingView>,
    above_chart: String,
    /// A preview (not saved) or this unit's latest published ranking.
    shown: Option<RankingView>,
    score_chart: String,
    month: String,
    month_label: String,
    /// (metric, label, weight) for the weight fields, in the metrics' order.
    weights: Vec<(String, String, String)>,
    /// Whether this unit ranks areas below it, and whether the caller may publish.
    ranks: bool,
    may_publish: bool,
}

#[derive(Template)]
#[template(path = "staff_ranking.html")]
struct RankingPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    r: RankingView,
    score_chart: String,
}

fn score_chart(r: &RankingView) -> String {
    let rows: Vec<(String, f64)> = r.entries.iter().filter_map(|e| Some((e.area_name.clone(), e.score?))).collect();
    charts::bars("chart-scores", &format!("{}综合得分", r.month_label), &rows, None)
}

/// The weights a form asks for (`w_<metric>` fields), as `metric=weight,…`.
fn weights_from(f: &HashMap<String, String>) -> String {
    xinfang_domain::metrics::Metric::ALL
        .iter()
        .filter_map(|m| {
            f.get(&format!("w_{}", m.as_str())).map(|v| v.trim()).filter(|v| !v.is_empty()).map(|v| format!("{}={v}", m.as_str()))
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn may_publish(s: &Staff) -> bool {
    s.unit.kind == xinfang_domain::unit::UnitKind::PetitionBureau && xinfang_domain::leadership::MANAGERS.contains(&s.user.role)
}

async fn rankings_page(
    state: &AppState,
    headers: &HeaderMap,
    s: &Staff,
    month: Option<String>,
    weights: Option<String>,
    preview: bool,
    alert: Option<String>,
) -> Response {
    let ranks = !xinfang_web::ranking::areas_under(&state.tree(), &s.unit, &HashMap::new()).is_empty();
    let list = if ranks {
        match ranking::list(State(state.clone()), s.clone(), ApiQuery(RankingQuery::default())).await {
            Ok(Json(l)) => l,
            Err(e) => return failed(s, headers, e),
        }
    } else {
        Vec::new()
    };
    let today = xinfang_domain::local_date(chrono::Utc::now());
    let month = month.filter(|m| !m.trim().is_empty()).unwrap_or_else(|| xinfang_web::ranking::last_month(today));
    let weights_text = weights.filter(|w| !w.trim().is_empty()).unwrap_or_else(|| state.settings.ranking_weights.clone());
    let parsed =
        xinfang_domain::ranking::Weights::parse(&weights_text).unwrap_or_else(|_| xinfang_domain::ranking::Weights::default_weights());
    let weights = xinfang_domain::metrics::Metric::ALL
        .iter()
        .map(|m| (m.as_str().to_string(), m.label().to_string(), format!("{}", parsed.get(*m))))
        .collect();
    let mut alert = alert;
    let shown = if preview && ranks {
        let rq = RankingQuery { unit: None, month: Some(month.clone()), weights: Some(weights_text.clone()), format: None };
        match ranking::preview_of(state, s, &rq).await {
            Ok(v) => Some(v),
            Err(e) => {
                alert = Some(chinese_only(&e.message));
                None
            }
        }
    } else if ranks {
        match list.first() {
            Some(r) => ranking::view_of(state, s, r.id).await.ok(),
            None => None,
        }
    } else {
        None
    };
    let above = if ranks { None } else { ranking::latest_for(state, &s.unit).await.ok().flatten() };
    // A month is published once: no button for one already out.
    let may_publish = may_publish(s) && !list.iter().any(|r| r.month == month);
    let own_chart = shown.as_ref().map(score_chart).unwrap_or_default();
    let above_chart = above.as_ref().map(score_chart).unwrap_or_default();
    let (csrf, set) = crate::portal::csrf(headers);
    let page = RankingsPage {
        me: me(s),
        nav: "rankings",
        csrf,
        flash: None,
        alert,
        list,
        above,
        above_chart,
        shown,
        score_chart: own_chart,
        month_label: xinfang_domain::ranking::month_label(&month),
        month,
        weights,
        ranks,
        may_publish,
    };
    crate::portal::with_cookie(render(&page), set)
}

#[derive(Deserialize, Default)]
struct RankingsQuery {
    month: Option<String>,
    preview: Option<String>,
}

async fn rankings(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<RankingsQuery>,
    Query(f): Query<HashMap<String, String>>,
) -> Response {
    match staff(&state, &headers).await {
        Ok(s) => {
            let w = weights_from(&f);
            rankings_page(&state, &headers, &s, q.month, Some(w), q.preview.is_some(), None).await
        }
        Err(r) => r,
    }
}

async fn publish(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let weights = weights_from(&f);
    let again = |alert: &str| rankings_page(&state, &headers, &s, Some(get("month")), Some(weights.clone()), true, Some(alert.to_string()));
    if !crate::portal::csrf_ok(&headers, &get("csrf")) {
        return again("页面已过期，请刷新后重试").await;
    }
    if get("confirm") != "1" {
        return again("发布后将向排名后三位的地区发出预警函，请勾选确认后再发布").await;
    }
    let input = RankingInput { month: get("month"), weights: Some(weights.clone()).filter(|w| !w.is_empty()) };
    match ranking::publish(State(state.clone()), s.clone(), ApiJson(input)).await {
        Ok((_, Json(r))) => Redirect::to(&format!("/staff/rankings/{}", r.id.unwrap_or_default())).into_response(),
        Err(e) => {
            let mut r = again(&chinese_only(&e.message)).await;
            *r.status_mut() = e.status;
            r
        }
    }
}

#[derive(Deserialize, Default)]
struct FormatQuery {
    format: Option<String>,
}

async fn ranking_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::IdPath(id): crate::IdPath,
    Query(q): Query<FormatQuery>,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some(f) = q.format.filter(|f| !f.trim().is_empty()) {
        let rq = RankingQuery { format: Some(f), ..RankingQuery::default() };
        return ranking::show(State(state.clone()), s.clone(), ApiPath(id), ApiQuery(rq)).await.unwrap_or_else(|e| failed(&s, &headers, e));
    }
    let r = match ranking::view_of(&state, &s, id).await {
        Ok(r) => r,
        Err(e) => return failed(&s, &headers, e),
    };
    let (csrf, set) = crate::portal::csrf(&headers);
    let score_chart = score_chart(&r);
    crate::portal::with_cookie(render(&RankingPage { me: me(&s), nav: "rankings", csrf, flash: None, alert: None, r, score_chart }), set)
}
