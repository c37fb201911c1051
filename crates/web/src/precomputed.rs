//! The precomputed statistics at the edge (issue 12; docs/metrics.md
//! "Precomputed"): keeping them current, and answering the statistics,
//! the dashboard and the ranking from them when they can answer exactly.
//!
//! `refresh` (the `statistics_refresh` job, every few seconds, once across
//! nodes) applies the changes marked since the last run, and rebuilds
//! everything when the unit tree (or the definitions) changed. A read
//! never waits for it: `store::read_aggregates` corrects the stored rows by
//! the petitions still marked changed. A read that cannot be answered
//! exactly — a scope too small to be kept, a filter the aggregates do not
//! carry (topic, channel), a period that splits a month of the counts, an
//! index being rebuilt — is recounted from the record; both ways give the
//! same figures (crates/app/tests/statistics.rs, dashboard.rs).

use crate::error::ApiResult;
use crate::jobs::{JobError, JobResult};
use crate::state::{AppState, Settings};
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;
use xinfang_domain::aggregate::{Dim, Scope, ScopeIndex, TallyCell, sum_period};
use xinfang_domain::metrics::{Metric, Period, Tally};
use xinfang_domain::unit::UnitTree;
use xinfang_store::{AggregateCount, AggregateQuery, AggregateRows};

/// The job kind (and schedule name) of the refresh.
pub const REFRESH: &str = "statistics_refresh";

/// Changed petitions applied per transaction, at most.
const BATCH: usize = 2000;

/// How long one transaction of the scheduled refresh may hold SQLite's
/// single writer. Measured at 100,000 petitions: one changed petition
/// costs about 15 counter rows and 1 ms of writing, so a burst of intake
/// drained 2,000 at a time held the writer for 150–260 ms, and every
/// registration arriving then waited behind it (docs/performance.md,
/// "Registration behind the statistics refresh").
const WRITER_BUDGET: std::time::Duration = std::time::Duration::from_millis(6);

/// How a refresh takes its transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// As large as possible (a command, a load, a test: nobody waits).
    Bulk,
    /// Beside live requests: on a single-writer engine, batches sized so
    /// that each transaction stays near `WRITER_BUDGET`, and the writer is
    /// handed over between them (the gate is first come, first served).
    Gentle,
}

/// The batch size of the next transaction after one of `n` petitions took
/// `took`: doubled while well under the budget, halved while over it.
fn next_batch(n: usize, took: std::time::Duration) -> usize {
    if took > WRITER_BUDGET {
        (n / 2).max(1)
    } else if took < WRITER_BUDGET / 2 {
        (n * 2).min(BATCH)
    } else {
        n.max(1)
    }
}

/// Where figures came from (shown in the API as `computed_from`).
pub const PRECOMPUTED: &str = "precomputed";
pub const RECOUNT: &str = "recount";

/// What one refresh did.
#[derive(Debug, Default, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct RefreshReport {
    /// The aggregates were built for another tree or definition and were started over.
    pub rebuilt: bool,
    /// Changed petitions applied.
    pub applied: usize,
}

/// Apply every change marked so far; start over first when the aggregates
/// were built for another scope index.
pub async fn refresh(state: &AppState) -> Result<RefreshReport, xinfang_store::StoreError> {
    state.refresh_units().await?;
    let (report, ix) = refresh_store(&state.store, &state.tree(), &state.settings, Pace::Gentle).await?;
    state.set_busy_units(ix.busy().clone());
    Ok(report)
}

/// `refresh` on a store and a unit tree (also the `xinfang statistics`
/// command's and the benchmark's); returns the scope index the aggregates
/// now hold. The busy units (`ScopeIndex::build`) are those stored with
/// the aggregates, taken afresh from the record when they are rebuilt.
pub async fn refresh_store(
    store: &xinfang_store::Store,
    tree: &UnitTree,
    settings: &Settings,
    pace: Pace,
) -> Result<(RefreshReport, ScopeIndex), xinfang_store::StoreError> {
    let min_units = settings.statistics_min_scope_units;
    let mut ix = ScopeIndex::build(tree, min_units, &store.stored_busy_units().await?);
    let mut report = RefreshReport::default();
    let gentle = pace == Pace::Gentle && store.single_writer();
    let mut batch = if gentle { 8 } else { BATCH };
    loop {
        let started = std::time::Instant::now();
        let drained = store.drain_aggregates(&ix, batch).await?;
        if gentle {
            if let Some(n) = drained.filter(|n| *n > 0) {
                batch = next_batch(n.min(batch), started.elapsed());
            }
            tokio::task::yield_now().await;
        }
        match drained {
            None if report.rebuilt => {
                // Another node rebuilt them for another tree meanwhile; the
                // next run, with the tree reloaded, settles it.
                break;
            }
            None => {
                let busy = store.busy_units(settings.statistics_min_scope_petitions).await?;
                ix = ScopeIndex::build(tree, min_units, &busy);
                store.reset_aggregates(&ix).await?;
                report.rebuilt = true;
            }
            Some(0) => break,
            Some(n) => report.applied += n,
        }
    }
    Ok((report, ix))
}

/// The `statistics_refresh` job.
pub async fn refresh_job(state: AppState) -> JobResult {
    let r = refresh(&state).await.map_err(|e| JobError::Retry(format!("statistics not refreshed: {e}")))?;
    Ok(format!("{} changed petitions applied{}", r.applied, if r.rebuilt { " after a rebuild" } else { "" }))
}

/// For a recount (`FactsFilter::snapshots`): read the petitions' facts
/// from the aggregates' snapshots when they are current, which spares the
/// per-petition subqueries of the record (a small scope with a long
/// history).
pub fn snapshots(state: &AppState) -> Option<(String, usize)> {
    Some((state.scope_index().fingerprint.clone(), state.settings.statistics_max_corrections))
}

/// The precomputed rows of some scopes over a span of days (and months).
pub struct Precomputed {
    rows: AggregateRows,
    pub today: NaiveDate,
}

/// Read the rows of `scopes` if every one is kept and the aggregates can
/// answer exactly; None: recount. `exclude`: petitions taken out of the
/// rows (those the reader may not count, Art. 30: `crate::screen`).
pub async fn read(
    state: &AppState,
    scopes: &[Scope],
    days: Period,
    months: Option<Period>,
    today: NaiveDate,
    exclude: &[i64],
) -> ApiResult<Option<Precomputed>> {
    if scopes.is_empty() {
        return Ok(None);
    }
    let month = |d: NaiveDate| format!("{:04}-{:02}", d.year(), d.month());
    let q = AggregateQuery {
        scopes: scopes.iter().map(Scope::key).collect(),
        days: (days.from, days.to),
        months: months.map(|m| (month(m.from), month(m.to))),
        today,
        max_corrections: state.settings.statistics_max_corrections,
        exclude: exclude.to_vec(),
    };
    for _ in 0..2 {
        let ix = state.scope_index();
        if scopes.iter().all(|s| ix.is_kept(s))
            && let Some(rows) = state.store.read_aggregates(&ix, &q).await?
        {
            return Ok(Some(Precomputed { rows, today }));
        }
        // Another node may have rebuilt the aggregates with other busy
        // units than this node knows (one short read; what follows is a
        // recount anyway): try once more with those.
        if !state.set_busy_units(state.store.stored_busy_units().await?) {
            break;
        }
    }
    Ok(None)
}

/// Whether the counts, kept by month of receipt, answer `p` exactly: it
/// starts on the first of a month and ends on the last of one, or on or
/// after today (no petition is received after today).
pub fn months_cover(p: &Period, today: NaiveDate) -> bool {
    let month_end = p.to.checked_add_days(chrono::Days::new(1)).is_some_and(|next| next.day() == 1);
    p.from.day() == 1 && (month_end || p.to >= today)
}

impl Precomputed {
    /// The metrics of `scope` for `period`.
    pub fn metrics(&self, scope: &Scope, period: &Period) -> Vec<(Metric, Tally)> {
        let key = scope.key();
        sum_period(
            self.rows
                .tallies
                .iter()
                .filter(|((s, _, _), _)| *s == key)
                .map(|((_, m, d), c): (&(String, Metric, NaiveDate), &TallyCell)| (*m, *d, c)),
            period,
            self.today,
        )
    }

    /// The metrics of `scope` for each calendar month of `period`.
    pub fn metrics_by_month(&self, scope: &Scope, period: &Period) -> Vec<(Period, Vec<(Metric, Tally)>)> {
        period.months().into_iter().map(|m| (m, self.metrics(scope, &m))).collect()
    }

    /// The counts of `scope` in one dimension, by key (zero counts left out).
    pub fn counts(&self, scope: &Scope, dim: Dim) -> HashMap<String, i64> {
        let key = scope.key();
        let mut out: HashMap<String, i64> = HashMap::new();
        for (k, n) in self.rows.counts.iter().filter(|(k, _)| k.scope == key && k.dim == dim) {
            let name = if dim == Dim::All { k.month.clone() } else { k.key.clone() };
            *out.entry(name).or_default() += n;
        }
        out.retain(|_, n| *n != 0);
        out
    }

    /// Late handling by handling unit: handled after the due date, or not
    /// handled and the due date passed.
    pub fn late(&self, scope: &Scope) -> HashMap<String, i64> {
        let key = scope.key();
        let mut out = self.counts(scope, Dim::Late);
        for (k, n) in self.rows.counts.iter().filter(|(k, _): &(&AggregateCount, _)| k.scope == key && k.dim == Dim::LateOpen && k.past) {
            *out.entry(k.key.clone()).or_default() += n;
        }
        out.retain(|_, n| *n != 0);
        out
    }

    /// Petitions changed since the last refresh that this read corrected for.
    pub fn corrected(&self) -> usize {
        self.rows.corrected
    }
}

/// Counts sorted most first, then by key (as the recount's `ORDER BY n DESC, k`).
pub fn most_first(counts: HashMap<String, i64>) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = counts.into_iter().filter(|(_, n)| *n > 0).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_gentle_batch_grows_under_the_writer_budget_and_shrinks_over_it() {
        assert_eq!(next_batch(8, Duration::from_millis(1)), 16);
        assert_eq!(next_batch(1500, Duration::from_millis(1)), BATCH);
        assert_eq!(next_batch(16, Duration::from_millis(20)), 8);
        assert_eq!(next_batch(1, Duration::from_millis(50)), 1);
        assert_eq!(next_batch(12, Duration::from_millis(4)), 12);
    }
}
