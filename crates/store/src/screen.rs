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

use crate::db::{Result, RowExt, Sql, Store, StoreError, pack, packed_int, unpack};
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

/// The same columns as they are, for a statement that reads rows.
const PLAIN_COLUMNS: [&str; 10] = [
    "id",
    "registered_unit_id",
    "handling_unit_id",
    "current_unit_id",
    "registered_at",
    "topic",
    "jurisdiction",
    "state",
    "next_due_on",
    "received_on",
];

/// A field written as '' for NULL and 'v' before its value.
fn nullable(f: &str) -> Option<String> {
    f.strip_prefix('v').map(String::from)
}

/// `text LIKE '%marker%'`, the marker's `_` and `%` taken literally.
fn like(column: &str, marker: &str) -> String {
    let m = marker.replace('\\', "\\\\").replace('_', "\\_").replace('%', "\\%").replace('\'', "''");
    format!("{column} LIKE '%{m}%' ESCAPE '\\'")
}

/// The screen's verdict on an accusation whose accused is not named, from
/// its stored case (`column`): 'unknowable' (found unknowable: hidden from
/// no one for want of a name), 'sealed' (the domain's markers: no accused,
/// not unknowable, no Art. 25 report — known only to the unit it was
/// registered at, and while registered, held at), or 'undecided' (judged
/// by the rule itself). Kept in `petitions.screen` by a trigger of
/// migration 1345 (no write path can forget it) for the rows with
/// `category = 'accusation' AND accused_unit_path IS NULL`; other rows'
/// value means nothing. The markers are the domain's
/// (`access::UNNAMED_SEALED_MARKERS`), written into the trigger when it
/// is made: a change of them needs a migration that makes it again.
pub(crate) fn verdict_sql(column: &str) -> String {
    let sealed = UNNAMED_SEALED_MARKERS.iter().map(|m| like(column, m)).collect::<Vec<_>>().join(" AND ");
    format!("CASE WHEN {} THEN 'unknowable' WHEN {sealed} THEN 'sealed' ELSE 'undecided' END", like(column, UNKNOWABLE_MARKER))
}

/// Migration 1345: `petitions.screen`, its trigger and a covering index of
/// the unnamed accusations, so that the screen reads them without the
/// table (33,000 rows of a 13 GiB table took 140 ms at 1,000,000
/// petitions, docs/performance.md).
pub(crate) fn screen_schema(dialect: crate::db::Dialect) -> Vec<String> {
    use crate::db::Dialect;
    const UNNAMED: &str = "category = 'accusation' AND accused_unit_path IS NULL";
    let mut out = vec![
        "ALTER TABLE petitions ADD COLUMN screen TEXT".to_string(),
        // The verdict is no statistical fact, but the statistics' trigger
        // marks every petition it updates changed (33,000 at 1,000,000
        // petitions: a recount until they are drained): what was marked
        // before is all that stays marked.
        "CREATE TABLE stat_dirty_before_1345 AS SELECT petition_id FROM stat_dirty".to_string(),
        format!("UPDATE petitions SET screen = {} WHERE {UNNAMED}", verdict_sql("case_json")),
        "DELETE FROM stat_dirty WHERE petition_id NOT IN (SELECT petition_id FROM stat_dirty_before_1345)".to_string(),
        "DROP TABLE stat_dirty_before_1345".to_string(),
        // Every column the screen reads and filters on: read from the
        // index alone.
        format!(
            "CREATE INDEX {UNNAMED_INDEX} ON petitions (screen, registered_unit_id, current_unit_id, state, id, handling_unit_id, \
             registered_at, topic, jurisdiction, next_due_on, received_on, category, accused_unit_path) WHERE {UNNAMED}"
        ),
    ];
    let verdict = verdict_sql("NEW.case_json");
    match dialect {
        Dialect::Sqlite => {
            out.push(format!(
                "CREATE TRIGGER petitions_screen_INSERT AFTER INSERT ON petitions WHEN NEW.{} BEGIN \
                 UPDATE petitions SET screen = {verdict} WHERE id = NEW.id; END",
                UNNAMED.replace("accused_unit_path", "NEW.accused_unit_path")
            ));
            out.push(format!(
                "CREATE TRIGGER petitions_screen_UPDATE AFTER UPDATE OF case_json, category, accused_unit_path ON petitions \
                 WHEN NEW.{} BEGIN UPDATE petitions SET screen = {verdict} WHERE id = NEW.id; END",
                UNNAMED.replace("accused_unit_path", "NEW.accused_unit_path")
            ));
        }
        Dialect::Postgres => {
            out.push(format!(
                "CREATE FUNCTION petitions_screen() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.category = 'accusation' AND NEW.accused_unit_path IS NULL THEN NEW.screen := {verdict}; END IF; \
                 RETURN NEW; END $$"
            ));
            out.push(
                "CREATE TRIGGER petitions_screen BEFORE INSERT OR UPDATE ON petitions FOR EACH ROW EXECUTE FUNCTION petitions_screen()"
                    .to_string(),
            );
        }
    }
    out
}

/// The covering index of the unnamed accusations (migration 1345).
const UNNAMED_INDEX: &str = "petitions_unnamed_screen";

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
            // Unit paths ("/1/2/") are written into the statement
            // (`Sql::texts`): a province bureau's line has thousands.
            // Packed into one row (on SQLite each row crosses from the
            // driver's thread; a province reader may be screened from tens
            // of thousands).
            let mut sql = Sql::new(&format!(
                "SELECT {} FROM petitions WHERE category = 'accusation' AND accused_unit_path IN (",
                pack(self.dialect, &COLUMNS)
            ));
            sql.texts(chunk).push(")");
            let q = sqlx::query_scalar_with::<_, Option<String>, _>(AssertSqlSafe(sql.text.as_str()), crate::petitions::args(&sql));
            for f in unpack::<10>(q.fetch_one(&self.pool).await?.as_deref().unwrap_or_default())? {
                out.push(screened(&f)?);
            }
        }
        // Not named yet: known only to the receiving unit, the discipline
        // bodies and the units an Art. 25 report reached. The stored
        // verdict (`verdict_sql`, kept by a trigger) says which are sealed
        // by the markers: those are read from a covering index, neither
        // their text nor their row touched; the undecided are judged by
        // the rule itself on their stored case; the unknowable are hidden
        // from no one for want of a name.
        if !s.reader_discipline {
            // SQLite is held to the covering index: its planner would
            // rather take the accused-path index and read every row.
            let from = match self.dialect {
                crate::db::Dialect::Sqlite => format!("petitions INDEXED BY {UNNAMED_INDEX}"),
                crate::db::Dialect::Postgres => "petitions".to_string(),
            };
            let unnamed = "category = 'accusation' AND accused_unit_path IS NULL AND registered_unit_id <> $1 \
                           AND NOT (current_unit_id = $1 AND state = 'registered')";
            // Sealed by the markers: hidden from this reader, read from the
            // index alone.
            let packed: Option<String> = sqlx::query_scalar(AssertSqlSafe(format!(
                "SELECT {} FROM {from} WHERE {unnamed} AND screen = 'sealed'",
                pack(self.dialect, &COLUMNS)
            )))
            .bind(s.reader)
            .fetch_one(&self.pool)
            .await?;
            for f in unpack::<10>(packed.as_deref().unwrap_or_default())? {
                out.push(screened(&f)?);
            }
            // The rest but the unknowable (a verdict missing counts as
            // undecided): judged by the rule on the stored case. Few, and
            // each with its whole case: read row by row, not packed.
            let rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT {}, case_json FROM {from} WHERE {unnamed} AND (screen IS NULL OR screen = 'undecided')",
                PLAIN_COLUMNS.join(", ")
            )))
            .bind(s.reader)
            .fetch_all(&self.pool)
            .await?;
            for r in rows {
                let case: Case = serde_json::from_str(&r.s("case_json")?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                if hidden_until_accused_named(&case, s.reader, false) {
                    out.push(Screened {
                        id: r.i("id")?,
                        registered_unit_id: r.i("registered_unit_id")?,
                        handling_unit_id: r.oi("handling_unit_id")?,
                        current_unit_id: r.i("current_unit_id")?,
                        registered_at: r.s("registered_at")?,
                        topic: r.os("topic")?,
                        jurisdiction: r.s("jurisdiction")?,
                        state: r.s("state")?,
                        next_due_on: r.os("next_due_on")?,
                        received_on: r.s("received_on")?,
                    });
                }
            }
        }
        out.sort_by_key(|p| p.id);
        out.dedup_by_key(|p| p.id);
        Ok(out)
    }
}
