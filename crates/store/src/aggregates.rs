//! The precomputed statistics (`xinfang_domain::aggregate`) in the
//! database: `stat_tally` and `stat_count` hold what the petitions add to
//! the kept scopes, `stat_facts` the snapshot each petition was counted
//! with, `stat_dirty` the petitions changed since (triggers fill it, in
//! the transaction of the change), `stat_meta` the fingerprint of the scope
//! index the rows were built for.
//!
//! Writing is one operation, `drain_aggregates`: take a batch of changed
//! petitions off `stat_dirty`, read their facts now, and add
//! `cells(now) − cells(snapshot)`. A rebuild clears everything and marks
//! every petition changed. Draining takes a lock (PostgreSQL: an advisory
//! transaction lock; SQLite: the write lock), so nodes never apply a change
//! twice.
//!
//! Reading (`read_aggregates`) is exact without waiting for a drain: in one
//! consistent snapshot it reads the rows and corrects them by the changes
//! of the petitions still marked changed.

use crate::db::{Dialect, Result, RowExt, Store, StoreError, WriteTx, pack, packed_int, parse_date, unpack};
use crate::statistics::{PetitionFacts, facts_of};
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sqlx::{AnyConnection, AssertSqlSafe};
use std::collections::{BTreeSet, HashMap};
use xinfang_domain::aggregate::{Cells, CountKey, Dim, ScopeIndex, Snapshot, TallyCell, TallyKey};
use xinfang_domain::metrics::Metric;

/// The PostgreSQL advisory lock held while aggregates are written.
const AGGREGATE_LOCK: i64 = 0x78_66_5f_61_67_67;

/// Rows per multi-row statement (well under both engines' parameter limits).
const ROWS_PER_STATEMENT: usize = 500;

/// What a read returns: per scope key, metric and cohort day the tally;
/// per scope key and dimension the counts (`month` kept for `Dim::All`
/// only; `Dim::LateOpen` only for due dates before `today`, `past`).
#[derive(Debug, Default)]
pub struct AggregateRows {
    pub tallies: HashMap<(String, Metric, NaiveDate), TallyCell>,
    pub counts: HashMap<AggregateCount, i64>,
    /// Petitions changed since the last drain, corrected for in this read.
    pub corrected: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AggregateCount {
    pub scope: String,
    pub dim: Dim,
    pub month: String,
    pub key: String,
    pub past: bool,
}

/// What a read asks for.
#[derive(Debug, Clone)]
pub struct AggregateQuery {
    pub scopes: Vec<String>,
    /// Cohort days of the tallies, both ends included.
    pub days: (NaiveDate, NaiveDate),
    /// Months of receipt (`YYYY-MM`) of the counts; None: no counts.
    pub months: Option<(String, String)>,
    pub today: NaiveDate,
    /// More changed petitions than this: answer None (recount instead).
    pub max_corrections: usize,
    /// Petitions the reader may not count (Art. 30, `store::screen`): what
    /// each adds now is taken out of the rows, in the same snapshot.
    pub exclude: Vec<i64>,
}

/// The state of the aggregates, for operators and tests.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct AggregateStatus {
    pub fingerprint: Option<String>,
    pub dirty: i64,
    pub petitions: i64,
    pub tally_rows: i64,
    pub count_rows: i64,
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// `($1, $2, …), (…)`: placeholders for `rows` rows of `cols` values.
fn values_placeholders(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", (1..=cols).map(|c| format!("${}", r * cols + c)).collect::<Vec<_>>().join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn snapshot_of(p: PetitionFacts) -> Snapshot {
    Snapshot { facts: p.facts, topic: p.topic, channel: p.channel, state: p.state, jurisdiction: p.jurisdiction }
}

/// The snapshots kept for `ids` and their facts now, on one connection.
async fn before_and_after(
    conn: &mut AnyConnection,
    dialect: Dialect,
    ids: &[i64],
) -> Result<(HashMap<i64, Snapshot>, HashMap<i64, Snapshot>)> {
    Ok((counted_snapshots(conn, dialect, ids).await?, facts_now(conn, ids).await?))
}

/// The snapshots `ids` were counted with (those counted at all).
async fn counted_snapshots(conn: &mut AnyConnection, dialect: Dialect, ids: &[i64]) -> Result<HashMap<i64, Snapshot>> {
    let mut before = HashMap::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT * 4) {
        // Packed into one row: on SQLite each row crosses from the
        // driver's thread, and a reader screened from 20,000 accusations
        // reads 20,000 snapshots (docs/performance.md).
        let packed: Option<String> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT {} FROM stat_facts WHERE petition_id IN ({})",
            pack(dialect, &["petition_id", "snapshot"]),
            crate::db::int_list(chunk)
        )))
        .fetch_one(&mut *conn)
        .await?;
        for [id, snapshot] in unpack::<2>(packed.as_deref().unwrap_or_default())? {
            before.insert(packed_int(id)?, Snapshot::decode(snapshot).map_err(StoreError::Corrupt)?);
        }
    }
    Ok(before)
}

/// The facts of `ids` as the record has them now (read from the petitions
/// and their events: ten times the cost of a snapshot).
async fn facts_now(conn: &mut AnyConnection, ids: &[i64]) -> Result<HashMap<i64, Snapshot>> {
    let mut after = HashMap::new();
    for chunk in ids.chunks(ROWS_PER_STATEMENT * 4) {
        let scope = format!("SELECT id FROM petitions WHERE id IN ({})", crate::db::int_list(chunk));
        for p in facts_of(conn, &scope, &[], 0, "").await? {
            after.insert(p.id, snapshot_of(p));
        }
    }
    Ok(after)
}

/// What the changes of `ids` add: `cells(after) − cells(before)`.
fn changes(ids: &[i64], before: &HashMap<i64, Snapshot>, after: &HashMap<i64, Snapshot>, ix: &ScopeIndex) -> Cells {
    let mut total = Cells::default();
    for id in ids {
        let (b, a) = (before.get(id), after.get(id));
        if b == a {
            continue;
        }
        total.merge(Cells::change(b, a, ix));
    }
    total.prune();
    total
}

impl Store {
    /// Hold the aggregate lock until `w` ends.
    async fn aggregate_lock(&self, w: &mut WriteTx<'_>) -> Result<()> {
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(AGGREGATE_LOCK).execute(&mut *w.tx).await?;
        }
        Ok(())
    }

    /// The fingerprint the aggregates were built for (None: never built).
    pub async fn aggregate_fingerprint(&self) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM stat_meta WHERE name = 'fingerprint'").fetch_optional(&self.pool).await?)
    }

    /// Petitions changed since the last refresh (cheap: the change list only).
    pub async fn aggregate_pending(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM stat_dirty").fetch_one(&self.pool).await?)
    }

    pub async fn aggregate_status(&self) -> Result<AggregateStatus> {
        let count = |sql: &'static str| async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&self.pool).await };
        Ok(AggregateStatus {
            fingerprint: self.aggregate_fingerprint().await?,
            dirty: count("SELECT COUNT(*) FROM stat_dirty").await?,
            petitions: count("SELECT COUNT(*) FROM stat_facts").await?,
            tally_rows: count("SELECT COUNT(*) FROM stat_tally").await?,
            count_rows: count("SELECT COUNT(*) FROM stat_count").await?,
        })
    }

    /// Start over for `ix`: clear the aggregates and mark every petition
    /// changed, so that draining builds them. Reads recount until then.
    pub async fn reset_aggregates(&self, ix: &ScopeIndex) -> Result<()> {
        let mut w = self.begin_write().await?;
        self.aggregate_lock(&mut w).await?;
        for t in ["stat_tally", "stat_count", "stat_facts", "stat_dirty", "stat_meta"] {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM {t}"))).execute(&mut *w.tx).await?;
        }
        sqlx::query("INSERT INTO stat_dirty (petition_id) SELECT id FROM petitions").execute(&mut *w.tx).await?;
        sqlx::query("INSERT INTO stat_meta (name, value) VALUES ('fingerprint', $1), ('busy_units', $2)")
            .bind(ix.fingerprint.clone())
            .bind(ix.busy().iter().map(i64::to_string).collect::<Vec<_>>().join(","))
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    /// The units the aggregates were last built to keep for their history
    /// (`ScopeIndex::busy`); empty when never built.
    pub async fn stored_busy_units(&self) -> Result<BTreeSet<i64>> {
        let v: Option<String> =
            sqlx::query_scalar("SELECT value FROM stat_meta WHERE name = 'busy_units'").fetch_optional(&self.pool).await?;
        v.unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().map_err(|_| StoreError::Corrupt(format!("bad busy unit {s}"))))
            .collect()
    }

    /// The units whose record holds at least `min` petitions, registered
    /// there or handled there (one pass over two indexes; taken when the
    /// aggregates are rebuilt).
    pub async fn busy_units(&self, min: i64) -> Result<BTreeSet<i64>> {
        let rows = sqlx::query(
            "SELECT u, CAST(SUM(n) AS BIGINT) AS n FROM ( \
               SELECT registered_unit_id AS u, COUNT(*) AS n FROM petitions GROUP BY registered_unit_id \
               UNION ALL SELECT handling_unit_id AS u, COUNT(*) AS n FROM petitions WHERE handling_unit_id IS NOT NULL \
                 AND handling_unit_id <> registered_unit_id GROUP BY handling_unit_id) t \
             GROUP BY u HAVING SUM(n) >= $1",
        )
        .bind(min.max(1))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| r.i("u")).collect()
    }

    /// Apply the changes of up to `batch` changed petitions. Returns how
    /// many were taken, or None when the aggregates were built for another
    /// scope index (the caller resets them).
    pub async fn drain_aggregates(&self, ix: &ScopeIndex, batch: usize) -> Result<Option<usize>> {
        let mut w = self.begin_write().await?;
        self.aggregate_lock(&mut w).await?;
        let built: Option<String> =
            sqlx::query_scalar("SELECT value FROM stat_meta WHERE name = 'fingerprint'").fetch_optional(&mut *w.tx).await?;
        if built.as_deref() != Some(ix.fingerprint.as_str()) {
            return Ok(None);
        }
        // Taken off the list first: a change committed after this point
        // marks the petition again and is applied by the next drain.
        let rows = sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM stat_dirty WHERE petition_id IN \
             (SELECT petition_id FROM stat_dirty ORDER BY petition_id LIMIT {}) RETURNING petition_id",
            batch.max(1)
        )))
        .fetch_all(&mut *w.tx)
        .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.i("petition_id")).collect::<Result<_>>()?;
        if ids.is_empty() {
            w.commit().await?;
            return Ok(Some(0));
        }
        let (before, after) = before_and_after(&mut w.tx, self.dialect, &ids).await?;
        let cells = changes(&ids, &before, &after, ix);
        self.apply_cells(&mut w, &cells, ix).await?;
        // The snapshots now counted.
        let gone: Vec<i64> = ids.iter().copied().filter(|i| !after.contains_key(i)).collect();
        if !gone.is_empty() {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM stat_facts WHERE petition_id IN ({})", crate::db::int_list(&gone))))
                .execute(&mut *w.tx)
                .await?;
        }
        let changed: Vec<(i64, String)> =
            after.iter().filter(|(id, s)| before.get(id) != Some(s)).map(|(id, s)| (*id, s.encode())).collect();
        for chunk in changed.chunks(ROWS_PER_STATEMENT) {
            let values = values_placeholders(chunk.len(), 2);
            let mut q = sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO stat_facts (petition_id, snapshot) VALUES {values} \
                 ON CONFLICT (petition_id) DO UPDATE SET snapshot = excluded.snapshot"
            )));
            for (id, s) in chunk {
                q = q.bind(*id).bind(s.clone());
            }
            q.execute(&mut *w.tx).await?;
        }
        w.commit().await?;
        Ok(Some(ids.len()))
    }

    async fn apply_cells(&self, w: &mut WriteTx<'_>, cells: &Cells, ix: &ScopeIndex) -> Result<()> {
        let tallies: Vec<(&TallyKey, &TallyCell)> = cells.tallies.iter().collect();
        for chunk in tallies.chunks(ROWS_PER_STATEMENT) {
            let values = values_placeholders(chunk.len(), 6);
            let mut q = sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO stat_tally (scope, metric, day, numerator, denominator, pending) VALUES {values} \
                 ON CONFLICT (scope, metric, day) DO UPDATE SET numerator = stat_tally.numerator + excluded.numerator, \
                 denominator = stat_tally.denominator + excluded.denominator, pending = stat_tally.pending + excluded.pending"
            )));
            for (k, c) in chunk {
                q = q
                    .bind(ix.scope(k.scope).key())
                    .bind(k.metric.as_str())
                    .bind(ymd(k.day))
                    .bind(c.numerator)
                    .bind(c.denominator)
                    .bind(c.pending);
            }
            q.execute(&mut *w.tx).await?;
        }
        let counts: Vec<(&CountKey, &i64)> = cells.counts.iter().collect();
        for chunk in counts.chunks(ROWS_PER_STATEMENT) {
            let values = values_placeholders(chunk.len(), 6);
            let mut q = sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO stat_count (scope, dim, month, k, due, n) VALUES {values} \
                 ON CONFLICT (scope, dim, k, month, due) DO UPDATE SET n = stat_count.n + excluded.n"
            )));
            for (k, n) in chunk {
                q = q
                    .bind(ix.scope(k.scope).key())
                    .bind(k.dim.as_str())
                    .bind(k.month.clone())
                    .bind(k.key.clone())
                    .bind(k.due.map(ymd).unwrap_or_default())
                    .bind(**n);
            }
            q.execute(&mut *w.tx).await?;
        }
        Ok(())
    }

    /// The facts of the petitions `scope` (a subquery with `binds`) selects,
    /// from the snapshots, in one consistent read: the snapshot of each
    /// petition not changed since the last refresh, the record's facts of
    /// those changed. None when the snapshots were not built for
    /// `fingerprint` or more than `max_changed` petitions changed.
    pub(crate) async fn facts_from_snapshots(
        &self,
        scope: &str,
        binds: &[String],
        fingerprint: &str,
        max_changed: usize,
    ) -> Result<Option<Vec<PetitionFacts>>> {
        let mut tx = self.pool.begin().await?;
        if self.dialect == Dialect::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        }
        let built: Option<String> =
            sqlx::query_scalar("SELECT value FROM stat_meta WHERE name = 'fingerprint'").fetch_optional(&mut *tx).await?;
        if built.as_deref() != Some(fingerprint) {
            return Ok(None);
        }
        let dirty: Vec<i64> =
            sqlx::query_scalar(AssertSqlSafe(format!("SELECT petition_id FROM stat_dirty ORDER BY petition_id LIMIT {}", max_changed + 1)))
                .fetch_all(&mut *tx)
                .await?;
        if dirty.len() > max_changed {
            return Ok(None);
        }
        let mut q = sqlx::query(AssertSqlSafe(format!("SELECT petition_id, snapshot FROM stat_facts WHERE petition_id IN ({scope})")));
        for b in binds {
            q = q.bind(b.clone());
        }
        let changed: std::collections::HashSet<i64> = dirty.iter().copied().collect();
        let mut out = Vec::new();
        let mut rows = q.fetch(&mut *tx);
        while let Some(r) = rows.try_next().await? {
            let id = r.i("petition_id")?;
            if changed.contains(&id) {
                continue;
            }
            let s = Snapshot::decode(&r.s("snapshot")?).map_err(StoreError::Corrupt)?;
            out.push(PetitionFacts {
                id,
                topic: s.topic,
                channel: s.channel,
                state: s.state,
                jurisdiction: s.jurisdiction,
                facts: s.facts,
            });
        }
        drop(rows);
        if !dirty.is_empty() {
            let now = format!("SELECT id FROM petitions WHERE id IN ({}) AND id IN ({scope})", crate::db::int_list(&dirty));
            out.extend(facts_of(&mut tx, &now, binds, binds.len(), "").await?);
        }
        tx.rollback().await?;
        out.sort_by_key(|p| p.id);
        Ok(Some(out))
    }

    /// The aggregates `q` asks for, corrected by the petitions changed
    /// since the last drain, read in one consistent snapshot. None when
    /// they cannot answer exactly: built for another scope index, not
    /// built, or more changes pending than `q.max_corrections`.
    pub async fn read_aggregates(&self, ix: &ScopeIndex, q: &AggregateQuery) -> Result<Option<AggregateRows>> {
        if q.scopes.is_empty() {
            return Ok(Some(AggregateRows::default()));
        }
        let mut tx = self.pool.begin().await?;
        if self.dialect == Dialect::Postgres {
            // One snapshot for every statement below: the rows, the list of
            // changed petitions and their facts agree with each other.
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        }
        let built: Option<String> =
            sqlx::query_scalar("SELECT value FROM stat_meta WHERE name = 'fingerprint'").fetch_optional(&mut *tx).await?;
        if built.as_deref() != Some(ix.fingerprint.as_str()) {
            return Ok(None);
        }
        let dirty: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT petition_id FROM stat_dirty ORDER BY petition_id LIMIT {}",
            q.max_corrections + 1
        )))
        .fetch_all(&mut *tx)
        .await?;
        if dirty.len() > q.max_corrections {
            return Ok(None);
        }
        let mut out = AggregateRows { corrected: dirty.len(), ..AggregateRows::default() };
        // Scope keys are built by the domain ("s:12", "a:4403"): digits,
        // letters and a colon, written into the statement.
        let scopes = q.scopes.iter().map(|s| format!("'{}'", s.replace('\'', ""))).collect::<Vec<_>>().join(", ");
        // Packed: one row per scope (`packed`), not one per day and metric
        // — on SQLite every row crosses from the driver's thread, which
        // costs more than summing it.
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT scope, {} AS packed FROM stat_tally WHERE scope IN ({scopes}) AND day >= $1 AND day <= $2 GROUP BY scope",
            pack(self.dialect, &["metric", "day", "numerator", "denominator", "pending"])
        )))
        .bind(ymd(q.days.0))
        .bind(ymd(q.days.1))
        .fetch_all(&mut *tx)
        .await?;
        for r in rows {
            let scope = r.s("scope")?;
            for f in unpack::<5>(&r.s("packed")?)? {
                let Some(metric) = Metric::parse(f[0]) else { return Err(StoreError::Corrupt(format!("bad metric {}", f[0]))) };
                let cell = out.tallies.entry((scope.clone(), metric, parse_date(f[1])?)).or_default();
                cell.numerator += packed_int(f[2])?;
                cell.denominator += packed_int(f[3])?;
                cell.pending += packed_int(f[4])?;
            }
        }
        if let Some((from, to)) = &q.months {
            // One statement per dimension, summed in the database over the
            // months (a province has thousands of handling units a month),
            // each an index range of the key `(scope, dim, k, month, due)`
            // read in key order. A not-yet-handled item counts as late only
            // once its due date has passed.
            for dim in Dim::ALL {
                let (key, month_cond, group) = match dim {
                    Dim::All => ("month", "AND month >= $2 AND month <= $3", "month"),
                    Dim::Open => ("k", "", "k"),
                    Dim::LateOpen => ("k", "AND month >= $2 AND month <= $3 AND due <> '' AND due < $4", "k"),
                    _ => ("k", "AND month >= $2 AND month <= $3", "k"),
                };
                // Summed per key, then packed into one row per scope (a
                // province has thousands of handling units).
                let sql = format!(
                    "SELECT scope, {} AS packed FROM (SELECT scope, {key} AS k, CAST(SUM(n) AS BIGINT) AS n FROM stat_count \
                     WHERE scope IN ({scopes}) AND dim = $1 {month_cond} GROUP BY scope, {group}) t GROUP BY scope",
                    pack(self.dialect, &["k", "n"])
                );
                let mut stmt = sqlx::query(AssertSqlSafe(sql)).bind(dim.as_str());
                if dim != Dim::Open {
                    stmt = stmt.bind(from.clone()).bind(to.clone());
                }
                if dim == Dim::LateOpen {
                    stmt = stmt.bind(ymd(q.today));
                }
                for r in stmt.fetch_all(&mut *tx).await? {
                    let scope = r.s("scope")?;
                    for [k, n] in unpack::<2>(&r.s("packed")?)? {
                        let (month, key) = if dim == Dim::All { (k.to_string(), String::new()) } else { (String::new(), k.to_string()) };
                        let key = AggregateCount { scope: scope.clone(), dim, month, key, past: dim == Dim::LateOpen };
                        *out.counts.entry(key).or_default() += packed_int(n)?;
                    }
                }
            }
        }
        if !dirty.is_empty() {
            let (before, after) = before_and_after(&mut tx, self.dialect, &dirty).await?;
            let cells = changes(&dirty, &before, &after, ix);
            out.add_cells(cells, q, ix);
        }
        if !q.exclude.is_empty() {
            // What each excluded petition adds to the rows as corrected
            // above: its facts now when it is marked changed, else the
            // snapshot it was counted with. Only the changed ones are read
            // from the record: a province bureau may have tens of
            // thousands of accusations to leave out (Art. 30), and their
            // facts cost ten times their snapshots (1 s at 1,000,000
            // petitions, docs/performance.md).
            let changed: std::collections::HashSet<i64> = dirty.iter().copied().collect();
            let before = counted_snapshots(&mut tx, self.dialect, &q.exclude).await?;
            let changed_excluded: Vec<i64> = q.exclude.iter().copied().filter(|id| changed.contains(id)).collect();
            let after = facts_now(&mut tx, &changed_excluded).await?;
            // Only the scopes asked for: each excluded petition would
            // otherwise be taken out of every scope above its units too.
            let wanted: std::collections::HashSet<&str> = q.scopes.iter().map(String::as_str).collect();
            let within: Vec<usize> = (0..ix.scopes().len()).filter(|&i| wanted.contains(ix.scope(i).key().as_str())).collect();
            let mut cells = Cells::default();
            for id in &q.exclude {
                let counted = if changed.contains(id) { after.get(id) } else { before.get(id) };
                if let Some(s) = counted {
                    cells.add_within(s, ix, -1, Some(&within));
                }
            }
            cells.prune();
            out.add_cells(cells, q, ix);
        }
        tx.rollback().await?;
        Ok(Some(out))
    }
}

impl AggregateRows {
    /// Add `cells` (signed: a correction, or what is taken out) to the
    /// rows `q` asked for.
    fn add_cells(&mut self, cells: Cells, q: &AggregateQuery, ix: &ScopeIndex) {
        let wanted: std::collections::HashSet<&str> = q.scopes.iter().map(String::as_str).collect();
        for (k, v) in cells.tallies {
            let scope = ix.scope(k.scope).key();
            if !wanted.contains(scope.as_str()) || k.day < q.days.0 || k.day > q.days.1 {
                continue;
            }
            let cell = self.tallies.entry((scope, k.metric, k.day)).or_default();
            cell.numerator += v.numerator;
            cell.denominator += v.denominator;
            cell.pending += v.pending;
        }
        if let Some((from, to)) = &q.months {
            for (k, v) in cells.counts {
                let scope = ix.scope(k.scope).key();
                let in_months = k.dim == Dim::Open || (k.month >= *from && k.month <= *to);
                let counted = k.dim != Dim::LateOpen || k.due.is_some_and(|d| d < q.today);
                if !wanted.contains(scope.as_str()) || !in_months || !counted {
                    continue;
                }
                let month = if k.dim == Dim::All { k.month } else { String::new() };
                let key = AggregateCount { scope, dim: k.dim, month, key: k.key, past: k.due.is_some_and(|d| d < q.today) };
                *self.counts.entry(key).or_default() += v;
            }
        }
    }
}
