//! The accusations a reader may not know of (Art. 30), found for the
//! figures: every aggregate a unit reads — the dashboard, the statistics,
//! the hot spots, the deadline watch, the dispatch board — counts no
//! accusation whose accused unit's line holds the reader's unit
//! (`access::view` → `Hidden`), nor one whose accused is not named yet that
//! the reader may not know exists (`access::hidden_until_accused_named`),
//! whatever scope is asked.
//!
//! The aggregates themselves (`store::aggregates`, the recount, the watch
//! counts) count every petition of a scope, once for every reader; each
//! read then takes out the few accusations the reader is screened from.
//! They are found through one partial index (`petitions_accusations_by_accused`,
//! accusations only, by the accused unit's path): the accusations naming
//! one of the units the reader is on the line of (the caller passes their
//! paths, from the unit tree), and those naming nobody yet, judged by the
//! domain's rule.

use crate::db::{Result, Store, StoreError, pack, packed_int, unpack};
use sqlx::AssertSqlSafe;
use xinfang_domain::access::{UNKNOWABLE_MARKER, UNNAMED_SEALED_MARKERS, hidden_until_accused_named};
use xinfang_domain::procedure::Case;

/// Paths per statement.
const PATHS_PER_STATEMENT: usize = 400;

/// Who reads, as the screen needs it.
#[derive(Debug, Clone, Default)]
pub struct Screen {
    /// The reading unit (the staff member's own).
    pub reader: i64,
    /// The reader is a discipline body (it may know of every accusation).
    pub reader_discipline: bool,
    /// The materialised paths of every unit the reader is on the accused
    /// line of (`UnitTree::is_accused_or_above(reader, unit)`).
    pub accused_paths: Vec<String>,
}

/// One accusation screened from the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screened {
    pub id: i64,
    pub registered_unit_id: i64,
    pub handling_unit_id: Option<i64>,
    pub current_unit_id: i64,
    /// Registration instant (RFC 3339 UTC).
    pub registered_at: String,
    pub topic: Option<String>,
    /// The place of the matter (division code), the state, the next duty
    /// date and the day received: what the dispatch board counts by.
    pub jurisdiction: String,
    pub state: String,
    pub next_due_on: Option<String>,
    pub received_on: String,
}

impl Screened {
    /// Whether a scope of `units` (registered at or handled by one) counts it.
    pub fn in_units(&self, units: &std::collections::HashSet<i64>) -> bool {
        units.contains(&self.registered_unit_id) || self.handling_unit_id.is_some_and(|h| units.contains(&h))
    }
}

/// The columns of a screened row, in the order `screened` reads them back
/// from a `pack`ed row: a column that may be NULL is written as '' for
/// NULL and 'v' before its value otherwise.
const COLUMNS: [&str; 10] = [
    "id",
    "registered_unit_id",
    "CASE WHEN handling_unit_id IS NULL THEN '' ELSE 'v' || CAST(handling_unit_id AS TEXT) END",
    "current_unit_id",
    "registered_at",
    "CASE WHEN topic IS NULL THEN '' ELSE 'v' || topic END",
    "jurisdiction",
    "state",
    "CASE WHEN next_due_on IS NULL THEN '' ELSE 'v' || next_due_on END",
    "received_on",
];

/// A field written as '' for NULL and 'v' before its value.
fn nullable(f: &str) -> Option<String> {
    f.strip_prefix('v').map(String::from)
}

fn screened(f: &[&str]) -> Result<Screened> {
    Ok(Screened {
        id: packed_int(f[0])?,
        registered_unit_id: packed_int(f[1])?,
        handling_unit_id: nullable(f[2]).map(|h| packed_int(&h)).transpose()?,
        current_unit_id: packed_int(f[3])?,
        registered_at: f[4].to_string(),
        topic: nullable(f[5]),
        jurisdiction: f[6].to_string(),
        state: f[7].to_string(),
        next_due_on: nullable(f[8]),
        received_on: f[9].to_string(),
    })
}

impl Store {
    /// Every accusation `s.reader` may not know of, by id.
    pub async fn screened_accusations(&self, s: &Screen) -> Result<Vec<Screened>> {
        let mut out = Vec::new();
        // Named: the accused unit is one the reader is on the line of.
        for chunk in s.accused_paths.chunks(PATHS_PER_STATEMENT) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            // Packed into one row (on SQLite each row crosses from the
            // driver's thread; a province reader may be screened from tens
            // of thousands).
            let mut q = sqlx::query_scalar::<_, Option<String>>(AssertSqlSafe(format!(
                "SELECT {} FROM petitions WHERE category = 'accusation' AND accused_unit_path IN ({})",
                pack(self.dialect, &COLUMNS),
                marks.join(", ")
            )));
            for p in chunk {
                q = q.bind(p.clone());
            }
            for f in unpack::<10>(q.fetch_one(&self.pool).await?.as_deref().unwrap_or_default())? {
                out.push(screened(&f)?);
            }
        }
        // Not named yet: known only to the receiving unit, the discipline
        // bodies and the units an Art. 25 report reached. Those whose text
        // says no accused, not unknowable and no report are hidden from
        // this reader by the columns alone (the domain's markers, checked
        // against `serde_json` there): their text is neither moved nor
        // parsed (33,000 such rows took 300 ms at 1,000,000 petitions);
        // the rest are judged by the rule itself. Those found unknowable
        // are hidden from no one for want of a name.
        if !s.reader_discipline {
            // `_` and `%` taken literally (the markers have underscores).
            let like = |m: &str| {
                let m = m.replace('\\', "\\\\").replace('_', "\\_").replace('%', "\\%").replace('\'', "''");
                format!("case_json LIKE '%{m}%' ESCAPE '\\'")
            };
            let sealed = UNNAMED_SEALED_MARKERS.iter().map(|m| like(m)).collect::<Vec<_>>().join(" AND ");
            let mut columns = COLUMNS.to_vec();
            let undecided = format!("CASE WHEN {sealed} THEN '' ELSE 'v' || case_json END");
            columns.push(undecided.as_str());
            let packed: Option<String> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT {} FROM petitions \
                 WHERE category = 'accusation' AND accused_unit_path IS NULL AND registered_unit_id <> $1 \
                 AND NOT (current_unit_id = $1 AND state = 'registered') AND NOT {}",
                pack(self.dialect, &columns),
                like(UNKNOWABLE_MARKER)
            )))
            .bind(s.reader)
            .fetch_one(&self.pool)
            .await?;
            for f in unpack::<11>(packed.as_deref().unwrap_or_default())? {
                let hidden = match nullable(f[10]) {
                    None => true,
                    Some(text) => {
                        let case: Case = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                        hidden_until_accused_named(&case, s.reader, false)
                    }
                };
                if hidden {
                    out.push(screened(&f)?);
                }
            }
        }
        out.sort_by_key(|p| p.id);
        out.dedup_by_key(|p| p.id);
        Ok(out)
    }
}
