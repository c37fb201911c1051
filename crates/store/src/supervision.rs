//! Supervision cases (issue 12): 督办 (Art. 40) and the instruments of
//! Art. 39, with the supervised unit's written reply and the supervising
//! unit's closing; and the two set-based queries of the deadline watch.
//!
//! A case about a petition is written in the transaction of the event that
//! records it on the petition's chain (`ActRows.supervision_cases`), so its
//! letter (the event's document) and the case stand or fall together. An
//! automatic case is inserted only if no case exists for its (petition,
//! timer kind, due date) — the UNIQUE constraint decides, on both engines,
//! however many nodes sweep at once — and when it exists the whole act is
//! rolled back (`StoreError::Conflict`).

use crate::db::{Arg, Result, RowExt, Sql, Store, StoreError, WriteTx, fmt_date, fmt_instant, pack, packed_int, parse_date, unpack};
use crate::petitions::EventDraft;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AssertSqlSafe;
use xinfang_domain::procedure::Case;
use xinfang_domain::unit::UnitId;

/// A case to open.
#[derive(Debug, Clone)]
pub struct NewSupervisionCase {
    pub kind: String,
    pub petition_id: Option<i64>,
    /// For an automatic case: the breached timer.
    pub timer: Option<(String, NaiveDate)>,
    pub supervising_unit_id: UnitId,
    pub supervised_unit_id: UnitId,
    pub reason: String,
    pub suggestions: String,
    pub reply_due_on: NaiveDate,
    pub rectify_by: Option<NaiveDate>,
    pub opened_at: DateTime<Utc>,
    pub opened_by: Option<i64>,
}

/// A case as stored, with its petition's number.
#[derive(Debug, Clone)]
pub struct SupervisionCaseRow {
    pub id: i64,
    pub kind: String,
    pub petition_id: Option<i64>,
    pub number: Option<String>,
    /// The petition's procedure state now, for the reader's access rules
    /// (Art. 30: a case outlives the view its units had when it was
    /// opened); None for a case about a unit's work.
    pub case: Option<Case>,
    /// The petitioner asked for confidentiality (false without a petition).
    pub confidential: bool,
    pub event_seq: Option<i64>,
    pub timer_kind: Option<String>,
    pub timer_due_on: Option<NaiveDate>,
    pub supervising_unit_id: UnitId,
    pub supervised_unit_id: UnitId,
    pub reason: String,
    pub suggestions: String,
    pub reply_due_on: NaiveDate,
    pub rectify_by: Option<NaiveDate>,
    pub opened_at: String,
    pub opened_by: Option<String>,
    pub reply: Option<String>,
    pub replied_at: Option<String>,
    pub replied_by: Option<String>,
    pub closed_at: Option<String>,
    pub closed_by: Option<String>,
    pub closing_note: Option<String>,
}

/// One entry of a case's history.
#[derive(Debug, Clone)]
pub struct SupervisionHistoryRow {
    pub seq: i64,
    pub action: String,
    pub at: String,
    pub username: Option<String>,
    pub unit_id: Option<UnitId>,
    pub note: String,
}

/// Which cases a unit lists.
#[derive(Debug, Clone)]
pub struct SupervisionFilter {
    /// The caller's units (a government's office also sees its government's).
    pub units: Vec<UnitId>,
    /// `supervising`, `supervised`, or None for both.
    pub role: Option<String>,
    /// Only cases not yet closed.
    pub open_only: bool,
    /// Cases with a smaller id (the next page).
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// A breached duty timer without a case yet.
#[derive(Debug, Clone)]
pub struct Breach {
    pub petition_id: i64,
    pub number: String,
    pub unit_id: UnitId,
    pub kind: String,
    pub due_on: NaiveDate,
}

/// Open duty timers of one unit by class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WatchCounts {
    pub unit_id: UnitId,
    pub on_track: i64,
    pub due_soon: i64,
    pub due_today: i64,
    pub overdue: i64,
}

impl WatchCounts {
    pub fn total(&self) -> i64 {
        self.on_track + self.due_soon + self.due_today + self.overdue
    }
}

const SELECT: &str = "SELECT c.id, c.kind, c.petition_id, p.number, p.confidential, p.case_json, c.event_seq, c.timer_kind, c.timer_due_on, c.supervising_unit_id, \
     c.supervised_unit_id, c.reason, c.suggestions, c.reply_due_on, c.rectify_by, c.opened_at, ou.username AS opened_by, c.reply, \
     c.replied_at, ru.username AS replied_by, c.closed_at, cu.username AS closed_by, c.closing_note \
     FROM supervision_cases c LEFT JOIN petitions p ON p.id = c.petition_id LEFT JOIN users ou ON ou.id = c.opened_by \
     LEFT JOIN users ru ON ru.id = c.replied_by LEFT JOIN users cu ON cu.id = c.closed_by";

fn row(r: &sqlx::any::AnyRow) -> Result<SupervisionCaseRow> {
    Ok(SupervisionCaseRow {
        id: r.i("id")?,
        kind: r.s("kind")?,
        petition_id: r.oi("petition_id")?,
        number: r.os("number")?,
        case: r.os("case_json")?.map(|j| serde_json::from_str::<Case>(&j)).transpose().map_err(|e| StoreError::Corrupt(e.to_string()))?,
        confidential: r.oi("confidential")?.is_some_and(|c| c != 0),
        event_seq: r.oi("event_seq")?,
        timer_kind: r.os("timer_kind")?,
        timer_due_on: r.os("timer_due_on")?.as_deref().map(parse_date).transpose()?,
        supervising_unit_id: r.i("supervising_unit_id")?,
        supervised_unit_id: r.i("supervised_unit_id")?,
        reason: r.s("reason")?,
        suggestions: r.s("suggestions")?,
        reply_due_on: parse_date(&r.s("reply_due_on")?)?,
        rectify_by: r.os("rectify_by")?.as_deref().map(parse_date).transpose()?,
        opened_at: r.s("opened_at")?,
        opened_by: r.os("opened_by")?,
        reply: r.os("reply")?,
        replied_at: r.os("replied_at")?,
        replied_by: r.os("replied_by")?,
        closed_at: r.os("closed_at")?,
        closed_by: r.os("closed_by")?,
        closing_note: r.os("closing_note")?,
    })
}

/// The petition kinds of timers the watch leaves out (the petitioner's own
/// windows are not duties), as an SQL list of literals.
fn excluded_kinds() -> String {
    use xinfang_domain::deadline::TimerKind;
    let all = [
        TimerKind::T1,
        TimerKind::T2,
        TimerKind::T3,
        TimerKind::T4,
        TimerKind::T5,
        TimerKind::T6,
        TimerKind::T7,
        TimerKind::T8,
        TimerKind::T9,
        TimerKind::T10,
        TimerKind::S1,
        TimerKind::D1,
        TimerKind::D2,
        TimerKind::D3,
    ];
    all.iter().filter(|k| k.is_petitioner_window()).map(|k| format!("'{}'", k.as_str())).collect::<Vec<_>>().join(", ")
}

/// Insert `c` in `w`, its event being `event_seq`; with its first history
/// entry. An automatic case whose timer already has one: `Conflict`.
pub(crate) async fn insert_case_in(w: &mut WriteTx<'_>, c: &NewSupervisionCase, event_seq: Option<i64>) -> Result<i64> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO supervision_cases (kind, petition_id, event_seq, timer_kind, timer_due_on, supervising_unit_id, supervised_unit_id, \
         reason, suggestions, reply_due_on, rectify_by, opened_at, opened_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (petition_id, timer_kind, timer_due_on) DO NOTHING RETURNING id",
    )
    .bind(c.kind.clone())
    .bind(c.petition_id)
    .bind(event_seq)
    .bind(c.timer.as_ref().map(|t| t.0.clone()))
    .bind(c.timer.as_ref().map(|t| fmt_date(t.1)))
    .bind(c.supervising_unit_id)
    .bind(c.supervised_unit_id)
    .bind(c.reason.clone())
    .bind(c.suggestions.clone())
    .bind(fmt_date(c.reply_due_on))
    .bind(c.rectify_by.map(fmt_date))
    .bind(fmt_instant(c.opened_at))
    .bind(c.opened_by)
    .fetch_optional(&mut *w.tx)
    .await?;
    let Some(id) = id else { return Err(StoreError::Conflict) };
    history_in(w, id, "open", c.opened_at, c.opened_by, Some(c.supervising_unit_id), &c.reason).await?;
    Ok(id)
}

async fn history_in(
    w: &mut WriteTx<'_>,
    case_id: i64,
    action: &str,
    at: DateTime<Utc>,
    user_id: Option<i64>,
    unit_id: Option<UnitId>,
    note: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO supervision_case_history (case_id, seq, action, at, user_id, unit_id, note) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6 FROM supervision_case_history WHERE case_id = $1",
    )
    .bind(case_id)
    .bind(action.to_string())
    .bind(fmt_instant(at))
    .bind(user_id)
    .bind(unit_id)
    .bind(note.to_string())
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

impl Store {
    /// Open a case about a unit's work (no petition, so no event and no
    /// letter: 约谈 and 通报 records, listed supervision of a unit).
    pub async fn open_unit_case(&self, c: &NewSupervisionCase) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let id = insert_case_in(&mut w, c, None).await?;
        w.commit().await?;
        Ok(id)
    }

    pub async fn supervision_case(&self, id: i64) -> Result<Option<SupervisionCaseRow>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" WHERE c.id = ").bind(Arg::I(id));
        sql.query().fetch_optional(&self.pool).await?.as_ref().map(row).transpose()
    }

    /// Cases where one of `f.units` supervises or is supervised, newest first.
    pub async fn supervision_cases(&self, f: &SupervisionFilter) -> Result<Vec<SupervisionCaseRow>> {
        if f.units.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(SELECT);
        let list = |sql: &mut Sql, col: &str| {
            sql.push(col).push(" IN (");
            sql.ints(&f.units);
            sql.push(")");
        };
        sql.push(" WHERE (");
        match f.role.as_deref() {
            Some("supervising") => list(&mut sql, "c.supervising_unit_id"),
            Some("supervised") => list(&mut sql, "c.supervised_unit_id"),
            _ => {
                list(&mut sql, "c.supervising_unit_id");
                sql.push(" OR ");
                list(&mut sql, "c.supervised_unit_id");
            }
        }
        sql.push(")");
        if f.open_only {
            sql.push(" AND c.closed_at IS NULL");
        }
        if let Some(b) = f.before_id {
            sql.push(" AND c.id < ").bind(Arg::I(b));
        }
        sql.push(" ORDER BY c.id DESC LIMIT ").bind(Arg::I(f.limit.clamp(1, 500)));
        sql.query().fetch_all(&self.pool).await?.iter().map(row).collect()
    }

    /// Cases about one petition, first first.
    pub async fn supervision_cases_of(&self, petition_id: i64) -> Result<Vec<SupervisionCaseRow>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" WHERE c.petition_id = ").bind(Arg::I(petition_id)).push(" ORDER BY c.id");
        sql.query().fetch_all(&self.pool).await?.iter().map(row).collect()
    }

    pub async fn supervision_history(&self, case_id: i64) -> Result<Vec<SupervisionHistoryRow>> {
        let rows = sqlx::query(
            "SELECT h.seq, h.action, h.at, u.username, h.unit_id, h.note FROM supervision_case_history h \
             LEFT JOIN users u ON u.id = h.user_id WHERE h.case_id = $1 ORDER BY h.seq",
        )
        .bind(case_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SupervisionHistoryRow {
                    seq: r.i("seq")?,
                    action: r.s("action")?,
                    at: r.s("at")?,
                    username: r.os("username")?,
                    unit_id: r.oi("unit_id")?,
                    note: r.s("note")?,
                })
            })
            .collect()
    }

    /// Record the supervised unit's written reply (once, before closing),
    /// with `event` on the petition's chain when the case has a petition.
    /// `Conflict` when it was already answered or closed.
    pub async fn reply_supervision_case(
        &self,
        id: i64,
        text: &str,
        user_id: i64,
        unit_id: UnitId,
        at: DateTime<Utc>,
        event: Option<&EventDraft>,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE supervision_cases SET reply = $1, replied_at = $2, replied_by = $3 WHERE id = $4 AND replied_at IS NULL AND closed_at IS NULL",
        )
        .bind(text.to_string())
        .bind(fmt_instant(at))
        .bind(user_id)
        .bind(id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict);
        }
        history_in(&mut w, id, "reply", at, Some(user_id), Some(unit_id), text).await?;
        self.case_event_in(&mut w, id, event).await?;
        w.commit().await
    }

    /// Close a case (once), with `event` on the petition's chain when it has one.
    pub async fn close_supervision_case(
        &self,
        id: i64,
        note: &str,
        user_id: i64,
        unit_id: UnitId,
        at: DateTime<Utc>,
        event: Option<&EventDraft>,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE supervision_cases SET closed_at = $1, closed_by = $2, closing_note = $3 WHERE id = $4 AND closed_at IS NULL",
        )
        .bind(fmt_instant(at))
        .bind(user_id)
        .bind(note.to_string())
        .bind(id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict);
        }
        history_in(&mut w, id, "close", at, Some(user_id), Some(unit_id), note).await?;
        self.case_event_in(&mut w, id, event).await?;
        w.commit().await
    }

    async fn case_event_in(&self, w: &mut WriteTx<'_>, id: i64, event: Option<&EventDraft>) -> Result<()> {
        let Some(event) = event else { return Ok(()) };
        let petition: Option<i64> =
            sqlx::query_scalar("SELECT petition_id FROM supervision_cases WHERE id = $1").bind(id).fetch_one(&mut *w.tx).await?;
        if let Some(pid) = petition {
            self.insert_event(w, pid, event).await?;
        }
        Ok(())
    }

    /// The deadline watch, query one: every open duty timer counted by the
    /// unit now holding its petition and by class on `today` (due soon:
    /// within `soon_days` days). One pass over the open timers.
    pub async fn watch_counts_now(&self, today: NaiveDate, soon_days: u32) -> Result<Vec<WatchCounts>> {
        let soon = today.checked_add_days(chrono::Days::new(u64::from(soon_days))).unwrap_or(today);
        let sql = format!(
            "SELECT p.current_unit_id AS unit_id, \
             SUM(CASE WHEN d.due_on > $2 THEN 1 ELSE 0 END) AS on_track, \
             SUM(CASE WHEN d.due_on > $1 AND d.due_on <= $2 THEN 1 ELSE 0 END) AS due_soon, \
             SUM(CASE WHEN d.due_on = $1 THEN 1 ELSE 0 END) AS due_today, \
             SUM(CASE WHEN d.due_on < $1 THEN 1 ELSE 0 END) AS overdue \
             FROM deadlines d{} JOIN petitions p{} ON p.id = d.petition_id \
             WHERE d.met_at IS NULL AND d.kind NOT IN ({}) GROUP BY p.current_unit_id ORDER BY p.current_unit_id",
            // SQLite has no planner statistics here and would look each
            // petition up by rowid (0.63 s at a million petitions); the two
            // covering indexes of migration 1262 serve the scan (0.11 s).
            // PostgreSQL's planner chooses with its statistics.
            if self.dialect == crate::db::Dialect::Sqlite { " INDEXED BY deadlines_open_watch" } else { "" },
            if self.dialect == crate::db::Dialect::Sqlite { " INDEXED BY petitions_current_unit_by_id" } else { "" },
            excluded_kinds()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(fmt_date(today)).bind(fmt_date(soon)).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(WatchCounts {
                    unit_id: r.i("unit_id")?,
                    on_track: r.i("on_track")?,
                    due_soon: r.i("due_soon")?,
                    due_today: r.i("due_today")?,
                    overdue: r.i("overdue")?,
                })
            })
            .collect()
    }

    /// The open duty timers of some petitions (the watch's kinds), each as
    /// its petition and its due date: what those petitions add to
    /// `watch_counts_now` under the units holding them (taken out for a
    /// reader who may not count them, Art. 30).
    pub async fn open_duty_timers(&self, petition_ids: &[i64]) -> Result<Vec<(i64, NaiveDate)>> {
        let mut out = Vec::new();
        for chunk in petition_ids.chunks(500) {
            // Ids are integers, written into the statement.
            let ids = crate::db::int_list(chunk);
            // From the open timers' index (migration 1262), without the
            // petitions table: the caller knows each petition's unit, and
            // at a million petitions each row of that table is a read of
            // its own. SQLite, without planner statistics, would take the
            // primary key and read every timer the petition ever had.
            let sql = format!(
                "SELECT d.petition_id, d.due_on FROM deadlines d{} \
                 WHERE d.petition_id IN ({ids}) AND d.met_at IS NULL AND d.kind NOT IN ({})",
                if self.dialect == crate::db::Dialect::Sqlite { " INDEXED BY deadlines_open_watch" } else { "" },
                excluded_kinds()
            );
            for r in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await? {
                out.push((r.i("petition_id")?, parse_date(&r.s("due_on")?)?));
            }
        }
        Ok(out)
    }

    /// The deadline watch, query two: open duty timers past due on `today`
    /// that have no case yet, earliest due first, at most `limit`.
    pub async fn breaches_without_case(&self, today: NaiveDate, limit: i64) -> Result<Vec<Breach>> {
        let sql = format!(
            "SELECT d.petition_id, p.number, p.current_unit_id, d.kind, d.due_on FROM deadlines d JOIN petitions p ON p.id = d.petition_id \
             WHERE d.met_at IS NULL AND d.due_on < $1 AND d.kind NOT IN ({}) \
             AND NOT EXISTS (SELECT 1 FROM supervision_cases s WHERE s.petition_id = d.petition_id AND s.timer_kind = d.kind AND s.timer_due_on = d.due_on) \
             ORDER BY d.due_on, d.petition_id, d.kind LIMIT $2",
            excluded_kinds()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(fmt_date(today)).bind(limit.max(1)).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(Breach {
                    petition_id: r.i("petition_id")?,
                    number: r.s("number")?,
                    unit_id: r.i("current_unit_id")?,
                    kind: r.s("kind")?,
                    due_on: parse_date(&r.s("due_on")?)?,
                })
            })
            .collect()
    }

    /// Keep the sweep's counts (one row per unit; units no longer holding
    /// an open timer are dropped). Upserts, so two nodes saving at once
    /// leave one consistent set.
    pub async fn save_watch_counts(&self, counts: &[WatchCounts], today: NaiveDate, at: DateTime<Utc>) -> Result<()> {
        let mut w = self.begin_write().await?;
        let at = fmt_instant(at);
        for chunk in counts.chunks(100) {
            let marks: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let b = i * 7;
                    format!("(${}, ${}, ${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7)
                })
                .collect();
            let sql = format!(
                "INSERT INTO watch_counts (unit_id, on_track, due_soon, due_today, overdue, swept_on, swept_at) VALUES {} \
                 ON CONFLICT (unit_id) DO UPDATE SET on_track = excluded.on_track, due_soon = excluded.due_soon, \
                 due_today = excluded.due_today, overdue = excluded.overdue, swept_on = excluded.swept_on, swept_at = excluded.swept_at",
                marks.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for c in chunk {
                q = q
                    .bind(c.unit_id)
                    .bind(c.on_track)
                    .bind(c.due_soon)
                    .bind(c.due_today)
                    .bind(c.overdue)
                    .bind(fmt_date(today))
                    .bind(at.clone());
            }
            q.execute(&mut *w.tx).await?;
        }
        sqlx::query("DELETE FROM watch_counts WHERE swept_at <> $1").bind(at).execute(&mut *w.tx).await?;
        w.commit().await
    }

    /// The last sweep's counts, with when it ran (None before the first).
    pub async fn watch_counts(&self) -> Result<(Vec<WatchCounts>, Option<(NaiveDate, String)>)> {
        // One packed row (`db::pack`) rather than a row per unit: a
        // province has thousands, read by every dashboard.
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT MIN(swept_on) AS swept_on, MIN(swept_at) AS swept_at, {} AS packed FROM watch_counts",
            pack(self.dialect, &["unit_id", "on_track", "due_soon", "due_today", "overdue"])
        )))
        .fetch_one(&self.pool)
        .await?;
        let Some(packed) = row.os("packed")? else { return Ok((Vec::new(), None)) };
        let mut out = Vec::new();
        for [unit, on_track, due_soon, due_today, overdue] in unpack::<5>(&packed)? {
            out.push(WatchCounts {
                unit_id: packed_int(unit)?,
                on_track: packed_int(on_track)?,
                due_soon: packed_int(due_soon)?,
                due_today: packed_int(due_today)?,
                overdue: packed_int(overdue)?,
            });
        }
        out.sort_by_key(|w| w.unit_id);
        let when = Some((parse_date(&row.s("swept_on")?)?, row.s("swept_at")?));
        Ok((out, when))
    }
}
