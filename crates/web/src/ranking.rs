//! The monthly ranking (issue 12 item 5): the areas directly under a
//! petition bureau (the counties under a city's, the cities under the
//! province's) scored on the weighted metrics of their month, ranked, the
//! last three warned — each warning a letter (督办函 / 交办函 / 提醒函) to
//! the area and a 限期整改 case on its petition bureau, all published in
//! one transaction. Rules in `domain::ranking`; the figures are those of
//! `GET /api/v1/statistics` for the area's units, computed the same way.
//!
//! The `monthly_ranking` job publishes last month's ranking for every
//! bureau with areas under it, once the month is over (once per bureau and
//! month across nodes: a UNIQUE constraint).

use crate::error::{ApiError, ApiResult};
use crate::jobs::{JobError, JobResult};
use crate::state::AppState;
use chrono::{Datelike, Months, NaiveDate, Utc};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap, HashSet};
use xinfang_domain::aggregate::Scope;
use xinfang_domain::letters::LetterKind;
use xinfang_domain::metrics::{Metric, Period, Tally, tally_all};
use xinfang_domain::petition::SupervisionLetter;
use xinfang_domain::ranking::{self, Placed, WarningLetter, Weights};
use xinfang_domain::supervision::{SupervisionKind, reply_due};
use xinfang_domain::unit::{Unit, UnitKind, UnitTree};
use xinfang_store::{FactsFilter, NewRanking, NewRankingEntry, NewSupervisionCase, NewUnitLetter, StoreError};

/// The job kind (and schedule name).
pub const MONTHLY_RANKING: &str = "monthly_ranking";

/// One area under a ranking bureau.
#[derive(Debug, Clone)]
pub struct Area {
    pub code: String,
    pub name: String,
    /// Its petition bureau: supervised, and answers the rectification.
    pub bureau: Unit,
    /// Whom the letter is addressed to: the area's party committee and
    /// government where the tree has one, else its bureau.
    pub addressee: Unit,
    /// Every unit whose area lies in it.
    pub units: HashSet<i64>,
}

/// The areas directly under `bureau`'s, in code order: those of the next
/// level that have a petition bureau.
pub fn areas_under(tree: &UnitTree, bureau: &Unit, names: &HashMap<String, String>) -> Vec<Area> {
    let mine = bureau.jurisdiction.len();
    let Some(next) = xinfang_domain::aggregate::CODE_LENGTHS.iter().copied().find(|l| *l > mine && *l < 12) else { return Vec::new() };
    let codes: BTreeSet<&str> = tree
        .all()
        .filter(|u| u.kind == UnitKind::PetitionBureau && u.jurisdiction.len() == next && u.jurisdiction.starts_with(&bureau.jurisdiction))
        .map(|u| u.jurisdiction.as_str())
        .collect();
    codes
        .into_iter()
        .filter_map(|code| {
            let of = |kind: UnitKind| tree.all().filter(|u| u.kind == kind && u.jurisdiction == code).min_by_key(|u| u.id).cloned();
            let area_bureau = of(UnitKind::PetitionBureau)?;
            let addressee = of(UnitKind::PartyGovernment).unwrap_or_else(|| area_bureau.clone());
            Some(Area {
                code: code.to_string(),
                name: names.get(code).cloned().unwrap_or_else(|| area_bureau.name.clone()),
                units: tree.all().filter(|u| u.jurisdiction.starts_with(code)).map(|u| u.id).collect(),
                bureau: area_bureau,
                addressee,
            })
        })
        .collect()
}

/// The month `YYYY-MM` as a period, or None if malformed.
pub fn month_period(month: &str) -> Option<Period> {
    if month.len() != 7 {
        return None;
    }
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
    Some(Period::new(first, last))
}

/// The month before the one `today` is in.
pub fn last_month(today: NaiveDate) -> String {
    let first = today.with_day(1).unwrap_or(today);
    let prev = first.pred_opt().unwrap_or(first);
    format!("{:04}-{:02}", prev.year(), prev.month())
}

/// A ranking worked out but not yet published.
pub struct Computed {
    pub month: String,
    pub period: Period,
    pub weights: Weights,
    pub min_cases: u64,
    pub areas: Vec<Area>,
    pub tallies: Vec<Vec<(Metric, Tally)>>,
    /// Best first, then the unscored.
    pub placed: Vec<Placed>,
    pub as_of: NaiveDate,
    /// Where the figures came from (`precomputed::PRECOMPUTED` or `RECOUNT`).
    pub source: &'static str,
}

/// Work out `bureau`'s ranking of `month` as judged on `today`.
pub async fn compute(state: &AppState, bureau: &Unit, month: &str, weights: Weights, today: NaiveDate) -> ApiResult<Computed> {
    // A month written exactly `YYYY-MM`, from `FIRST_YEAR` on: a ranking
    // is a permanent record with letters and rectification cases, and none
    // of a time before the system's figures may be published.
    let period = xinfang_domain::plain_month(month).and_then(|_| month_period(month)).ok_or_else(|| {
        ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_month",
            format!("月份格式应为 年-月（{}年1月以后），如 2026-10", xinfang_domain::FIRST_YEAR),
        )
        .at("month")
    })?;
    if period.to >= today {
        return Err(
            ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "month_not_over", format!("{month}尚未结束，不能排名")).at("month")
        );
    }
    let tree = state.tree();
    let names: HashMap<String, String> =
        state.store.divisions(Some(&bureau.jurisdiction)).await?.into_iter().map(|d| (d.code, d.name)).collect();
    let areas = areas_under(&tree, bureau, &names);
    if areas.is_empty() {
        return Err(ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "no_areas", format!("{}下没有可排名的地区", bureau.name)));
    }
    let scopes: Vec<Scope> = areas.iter().map(|a| Scope::Area(a.code.clone())).collect();
    let (tallies, source): (Vec<Vec<(Metric, Tally)>>, _) = match crate::precomputed::read(state, &scopes, period, None, today, &[]).await?
    {
        Some(p) => (scopes.iter().map(|s| p.metrics(s, &period)).collect(), crate::precomputed::PRECOMPUTED),
        None => {
            let mut units: Vec<i64> = areas.iter().flat_map(|a| a.units.iter().copied()).collect();
            units.sort_unstable();
            units.dedup();
            let facts = state
                .store
                .statistics_facts(&FactsFilter {
                    units,
                    received_until: Some(period.to),
                    topic: None,
                    channel: None,
                    snapshots: crate::precomputed::snapshots(state),
                    // A published ranking is one record for every reader;
                    // it gives rates by area, never counts by category.
                    exclude: Vec::new(),
                })
                .await?;
            let t = areas.iter().map(|a| tally_all(facts.iter().map(|p| &p.facts), &period, today, |u| a.units.contains(&u))).collect();
            (t, crate::precomputed::RECOUNT)
        }
    };
    let min_cases = state.settings.ranking_min_cases;
    let placed = ranking::rank(&tallies, &weights, min_cases);
    Ok(Computed { month: month.to_string(), period, weights, min_cases, areas, tallies, placed, as_of: today, source })
}

fn metrics_json(t: &[(Metric, Tally)]) -> Value {
    Value::Object(t.iter().map(|(m, t)| (m.as_str().to_string(), json!([t.numerator, t.denominator]))).collect())
}

/// Publish `c` for `bureau`: the ranking, each warned area's letter and
/// rectification case. `Conflict` if the month is published already.
pub async fn publish(state: &AppState, bureau: &Unit, c: &Computed, by: Option<i64>) -> Result<i64, StoreError> {
    let calendar = state.calendar();
    let on = c.as_of;
    let reply = reply_due(on, &calendar);
    let rectify = ranking::rectify_by(on, state.settings.ranking_rectify_days, &calendar);
    let ranked = c.placed.iter().filter(|p| p.rank.is_some()).count();
    let scope_name = state.store.division(&bureau.jurisdiction).await?.map(|d| d.name).unwrap_or_default();
    let now = Utc::now();
    let entries = c
        .placed
        .iter()
        .map(|p| {
            let area = &c.areas[p.index];
            let tallies = &c.tallies[p.index];
            let warned = p.warning.zip(p.rank).zip(p.score).map(|((warning, rank), score)| WarningLetter {
                warning,
                issuer: &bureau.name,
                addressee: &area.addressee.name,
                area_name: &area.name,
                month: &c.month,
                rank,
                ranked,
                score,
                tallies,
                weights: &c.weights,
                issued_on: on,
                reply_due: reply,
                rectify_by: rectify,
            });
            let letter = warned.as_ref().map(|w| {
                let mut data = w.data();
                data["scope_name"] = json!(scope_name);
                if area.addressee.id != area.bureau.id {
                    data["cc"] = json!(area.bureau.name);
                }
                NewUnitLetter {
                    kind: match w.warning.letter() {
                        SupervisionLetter::Supervision => LetterKind::SupervisionLetter,
                        SupervisionLetter::Assignment => LetterKind::AssignmentLetter,
                        SupervisionLetter::Reminder => LetterKind::ReminderLetter,
                    },
                    template: "warning_letter".into(),
                    title: w.title(),
                    issuer_unit_id: bureau.id,
                    addressee_unit_id: area.addressee.id,
                    issued_on: on,
                    data,
                }
            });
            let case = warned.as_ref().map(|w| NewSupervisionCase {
                kind: SupervisionKind::Rectification.as_str().into(),
                petition_id: None,
                timer: None,
                supervising_unit_id: bureau.id,
                supervised_unit_id: area.bureau.id,
                reason: w.reason(),
                suggestions: w.suggestions(),
                reply_due_on: reply,
                rectify_by: Some(rectify),
                opened_at: now,
                opened_by: by,
            });
            NewRankingEntry {
                area: area.code.clone(),
                area_name: area.name.clone(),
                unit_id: area.bureau.id,
                score: p.score,
                rank: p.rank.map(|r| r as i64),
                warning: p.warning.map(|w| w.as_str().to_string()),
                unranked: p.unranked.map(|u| u.as_str().to_string()),
                metrics: metrics_json(tallies),
                letter,
                case,
            }
        })
        .collect();
    state
        .store
        .publish_ranking(&NewRanking {
            unit_id: bureau.id,
            month: c.month.clone(),
            weights: c.weights.as_text(),
            min_cases: c.min_cases as i64,
            created_at: now,
            created_by: by,
            entries,
        })
        .await
}

/// The bureaus that rank: petition bureaus with areas under them.
pub fn ranking_bureaus(tree: &UnitTree) -> Vec<Unit> {
    let empty = HashMap::new();
    let mut out: Vec<Unit> = tree
        .all()
        .filter(|u| u.kind == UnitKind::PetitionBureau && u.jurisdiction.len() <= 4)
        .filter(|u| !areas_under(tree, u, &empty).is_empty())
        .cloned()
        .collect();
    out.sort_by(|a, b| a.code.cmp(&b.code));
    out
}

/// The weights the deployment configured (the defaults when unset or bad:
/// a bad setting is refused at startup).
pub fn configured_weights(state: &AppState) -> Weights {
    Weights::parse(&state.settings.ranking_weights).unwrap_or_else(|_| Weights::default_weights())
}

/// The `monthly_ranking` job: last month's ranking for every ranking
/// bureau that has none yet.
pub async fn monthly_job(state: AppState) -> JobResult {
    let today = xinfang_domain::local_date(Utc::now());
    let month = last_month(today);
    let tree = state.tree();
    let (mut published, mut existing) = (0, 0);
    for bureau in ranking_bureaus(&tree) {
        if state.store.ranking_for(bureau.id, &month).await?.is_some() {
            existing += 1;
            continue;
        }
        let c = compute(&state, &bureau, &month, configured_weights(&state), today)
            .await
            .map_err(|e| JobError::Retry(format!("{}: {}", bureau.code, e.message)))?;
        if c.placed.iter().all(|p| p.rank.is_none()) {
            // Nothing happened in the month: nothing to rank (a new
            // deployment, or a bureau without petitions yet).
            continue;
        }
        match publish(&state, &bureau, &c, None).await {
            Ok(_) => published += 1,
            Err(StoreError::Conflict) => existing += 1,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(format!("{month}: {published} rankings published, {existing} already there"))
}
