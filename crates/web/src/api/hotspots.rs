//! `GET /api/v1/hotspots` (issue 13, item 5): topics rising in an area,
//! among the petitions the caller's unit sees, with the petitions behind
//! each and the weekly 苗头性问题 summary.

use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiQuery;
use crate::hotspots::{cells, level, since, spikes};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::access::{View, view};
use xinfang_domain::local_date;

/// Spikes answered at most, and petitions named per spike.
const MAX_SPIKES: usize = 30;
const PETITIONS_PER_SPIKE: i64 = 20;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HotspotQuery {
    /// Weeks of history each cell is compared with (4–26, default 8).
    pub weeks: Option<usize>,
    /// Fewest petitions in the last seven days for a spike (1–1000, default 5).
    pub min_count: Option<u32>,
    /// Largest p-value of a spike (0 < alpha ≤ 0.2, default 0.01).
    pub alpha: Option<f64>,
    /// Unit code: count what that unit's dashboard counts (its area, or it
    /// and the units below it) — the caller's own or one it may see the
    /// figures of. The petitions named behind a spike are still only those
    /// the caller sees. Default: the petitions the caller's unit sees.
    pub unit: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct HotSpot {
    pub topic: String,
    pub topic_label: String,
    /// Division code of the area: a township (or the finest code the
    /// petitions give), or a county, city or province gathering several.
    pub area: String,
    /// `township`, `county`, `city` or `province`.
    pub level: String,
    pub area_name: String,
    /// Matters in the last seven days: each first petition, and each matter
    /// whose repeats came in, once.
    pub observed: u32,
    /// The cell's weekly mean over the history.
    pub expected: f64,
    pub p_value: f64,
    pub z: f64,
    /// The newest petitions of the last seven days in the cell.
    pub petitions: Vec<String>,
    /// The same petitions with their titles (a sealed accusation's title
    /// withheld, Art. 30), so that a spike reads as what it is about.
    pub items: Vec<SpikePetition>,
}

#[derive(Serialize, ToSchema)]
pub struct SpikePetition {
    pub number: String,
    pub title: String,
}

#[derive(Serialize, ToSchema)]
pub struct HotspotPage {
    /// The last seven days: first and last Beijing date.
    pub from: String,
    pub to: String,
    pub weeks: usize,
    /// Topic × area cells with any petition in the period.
    pub cells: usize,
    pub spikes: Vec<HotSpot>,
    /// One line per spike, in Chinese: the weekly 苗头性问题 summary.
    pub summary: Vec<String>,
}

fn bad(message: &str) -> ApiError {
    ApiError::bad_request("invalid_query", message.to_string())
}

/// How many petitions the `weeks` before the last seven days held, from
/// a spike's weekly mean: 0 when the history was empty (its mean is then
/// the small floor of `xinfang_text::spike`, which must not read as a
/// rate of "0.0 a week").
pub fn earlier_total(expected: f64, weeks: usize) -> u32 {
    (expected * weeks as f64).round() as u32
}

#[utoipa::path(get, path = "/api/v1/hotspots", tag = "intelligence", params(HotspotQuery), security(("bearer" = [])),
    description = "Topic × area cells (each township, and each county, city or province gathering several) whose last seven days are a spike against their own previous weeks (Poisson test with a minimum count), among the petitions the caller's unit sees, or with `unit` those a unit's dashboard counts. A matter counts once a week in a cell however many repeat petitions it brought. The petitions named behind a spike are always ones the caller sees.",
    responses((status = 200, body = HotspotPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn hotspots(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<HotspotQuery>) -> ApiResult<Json<HotspotPage>> {
    let weeks = q.weeks.unwrap_or(8);
    if !(4..=26).contains(&weeks) {
        return Err(bad("weeks 须在 4 至 26 之间"));
    }
    let min_count = q.min_count.unwrap_or(5);
    if !(1..=1000).contains(&min_count) {
        return Err(bad("min_count 须在 1 至 1000 之间"));
    }
    let alpha = q.alpha.unwrap_or(0.01);
    if !(alpha > 0.0 && alpha <= 0.2) {
        return Err(bad("alpha 须大于 0 且不超过 0.2"));
    }
    let today = local_date(Utc::now());
    let first = since(today, weeks);
    let week_start = today - chrono::Duration::days(6);
    // Beijing midnight of the first day, as a UTC instant.
    let instant = |d: chrono::NaiveDate| {
        xinfang_store::fmt_instant(d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - chrono::Duration::hours(8))
    };
    let tree = state.tree();
    let units = staff.visibility(&tree).unit_ids;
    let counted = match q.unit.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => units.clone(),
        Some(code) => {
            let unit = tree.by_code(code).cloned().ok_or_else(|| ApiError::not_found(&format!("单位“{code}”")))?;
            if !crate::api::statistics::may_see(&tree, &staff.unit, &unit) {
                return Err(ApiError::forbidden(format!("只能查看本单位及下级单位的热点，无权查看{}的热点", unit.name)));
            }
            let mut scope: Vec<i64> = crate::api::dashboard::scope_units(&tree, &unit).into_iter().collect();
            scope.sort_unstable();
            scope
        }
    };
    // Art. 30: whatever is counted, nothing the caller may not know of
    // (`crate::screen`; the viewer rows already leave out the accused's
    // line for the caller's own).
    let since_instant = instant(first);
    let exclude: Vec<i64> = crate::screen::screened(&state, &staff.unit)
        .await?
        .into_iter()
        .filter(|s| s.topic.is_some() && s.registered_at >= since_instant)
        .map(|s| s.id)
        .collect();
    let rows = state.store.topic_area_days(&counted, &since_instant, &exclude).await?;
    let all = cells(&rows, today, weeks);
    let found = spikes(&all, min_count, alpha);
    let topics: HashMap<String, String> = state.store.topics().await?.into_iter().map(|t| (t.code, t.name)).collect();
    let mut out = Vec::new();
    let mut summary = Vec::new();
    for f in found.into_iter().take(MAX_SPIKES) {
        let area_name = state.store.division(&f.area).await?.map(|d| d.name).unwrap_or_else(|| f.area.clone());
        let topic_label = topics.get(&f.topic).cloned().unwrap_or_else(|| f.topic.clone());
        // Only numbers the caller may know of: none of a petition hidden
        // from its unit (the accused's chain, Art. 30).
        let items: Vec<SpikePetition> = state
            .store
            .topic_area_numbers(&units, &instant(week_start), &f.topic, &f.area, PETITIONS_PER_SPIKE)
            .await?
            .into_iter()
            .filter_map(|(number, title, confidential, case)| match view(&case, confidential, staff.unit.id, staff.user.role, &tree) {
                View::Hidden => None,
                View::Sealed => Some(SpikePetition { number, title: crate::views::SEALED_TITLE.into() }),
                _ => Some(SpikePetition { number, title }),
            })
            .collect();
        let petitions = items.iter().map(|i| i.number.clone()).collect();
        let before = match earlier_total(f.spike.expected, weeks) {
            0 => format!("前{weeks}周没有此类信访"),
            n => format!("前{weeks}周共{n}件、平均每周{:.1}件", f.spike.expected),
        };
        summary.push(format!(
            "{area_name}“{topic_label}”类信访近7天{}件，{before}，{}（{}），请关注。",
            f.spike.observed,
            // A caller's loose alpha lets in rises chance explains as often
            // as not: only a small p-value is "明显".
            if f.spike.p_value <= 0.01 { "明显上升" } else { "有所上升" },
            if f.spike.p_value < 0.0001 { "p<0.0001".to_string() } else { format!("p={:.4}", f.spike.p_value) }
        ));
        out.push(HotSpot {
            topic: f.topic,
            topic_label,
            level: level(&f.area).into(),
            area: f.area,
            area_name,
            observed: f.spike.observed,
            expected: (f.spike.expected * 100.0).round() / 100.0,
            p_value: f.spike.p_value,
            z: (f.spike.z * 100.0).round() / 100.0,
            petitions,
            items,
        });
    }
    Ok(Json(HotspotPage { from: week_start.to_string(), to: today.to_string(), weeks, cells: all.len(), spikes: out, summary }))
}
