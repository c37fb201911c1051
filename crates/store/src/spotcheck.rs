//! Spot checks and accountability reviews (issue 12, item 6; rules in
//! `domain::spotcheck`).

use crate::db::{Result, RowExt, Store, StoreError, fmt_instant, parse_instant};
use crate::petitions::EventDraft;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use xinfang_domain::procedure::Case;
use xinfang_domain::spotcheck::RecordFacts;
use xinfang_domain::unit::UnitId;

/// A petition handled in a period, as a spot check's candidate.
#[derive(Debug, Clone, Copy)]
pub struct Handled {
    pub petition_id: i64,
    pub handling_unit_id: UnitId,
    /// Some duty timer was met late or is overdue.
    pub late: bool,
}

#[derive(Debug, Clone)]
pub struct SpotCheckRow {
    pub id: i64,
    pub unit_id: UnitId,
    pub month: String,
    pub rule: String,
    pub n: i64,
    pub created_at: DateTime<Utc>,
    /// (passed, scored, sampled)
    pub counts: (i64, i64, i64),
}

#[derive(Debug, Clone)]
pub struct SpotItemRow {
    pub id: i64,
    pub number: String,
    pub title: String,
    pub handling_unit_id: UnitId,
    pub suggested: [Option<bool>; 4],
    pub scores: [Option<bool>; 4],
    pub passed: Option<bool>,
    pub note: String,
    /// The petition as access rules read it: a sampled petition may since
    /// have become an accusation sealed from, or naming, the checker.
    pub case: Case,
    pub confidential: bool,
}

fn ob(v: Option<i64>) -> Option<bool> {
    v.map(|x| x != 0)
}

impl Store {
    /// Petitions whose handling unit is one of `units` and that were
    /// concluded, replied to or redirected within [`from`, `to`) (instants).
    /// Accusations (sealed, Art. 30) only with `accusations`: only a
    /// discipline body checks how they were handled.
    pub async fn handled_between(
        &self,
        units: &[UnitId],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        today: &str,
        accusations: bool,
    ) -> Result<Vec<Handled>> {
        if units.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (4..4 + units.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT p.id, p.handling_unit_id, \
             (SELECT COUNT(*) FROM deadlines d WHERE d.petition_id = p.id AND d.kind NOT IN ('T7', 'T9') \
               AND ((d.met_at IS NOT NULL AND substr(d.met_at, 1, 10) > d.due_on) OR (d.met_at IS NULL AND d.due_on < $3))) AS late \
             FROM petitions p WHERE p.handling_unit_id IN ({}) AND EXISTS (SELECT 1 FROM events e WHERE e.petition_id = p.id \
               AND e.action IN ('conclude', 'reply', 'redirect') AND e.occurred_at >= $1 AND e.occurred_at < $2){} ORDER BY p.id",
            marks.join(", "),
            if accusations { "" } else { " AND p.category <> 'accusation'" }
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(fmt_instant(from)).bind(fmt_instant(to)).bind(today.to_string());
        for u in units {
            q = q.bind(*u);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok(Handled { petition_id: r.i("id")?, handling_unit_id: r.i("handling_unit_id")?, late: r.i("late")? > 0 }))
            .collect()
    }

    /// What the record says about each petition (four set-based reads).
    pub async fn record_facts(&self, ids: &[i64], today: &str) -> Result<HashMap<i64, RecordFacts>> {
        let mut out: HashMap<i64, RecordFacts> =
            ids.iter().map(|i| (*i, RecordFacts { all_timers_met: true, ..RecordFacts::default() })).collect();
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let list = marks.join(", ");
            let bind = |sql: String| {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for id in chunk {
                    q = q.bind(*id);
                }
                q
            };
            let rows = bind(format!(
                "SELECT petition_id, kind, due_on, met_at FROM deadlines WHERE petition_id IN ({list}) AND kind NOT IN ('T7', 'T9')"
            ))
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                let Some(f) = out.get_mut(&r.i("petition_id")?) else { continue };
                let due = r.s("due_on")?;
                let late = match r.os("met_at")? {
                    Some(m) => m.get(..10).is_some_and(|d| d > due.as_str()),
                    None => due.as_str() < today,
                };
                if late {
                    f.all_timers_met = false;
                }
                if matches!(r.s("kind")?.as_str(), "T2" | "T3") {
                    f.notice_on_time = Some(f.notice_on_time.unwrap_or(true) && !late);
                }
            }
            let rows = bind(format!(
                "SELECT DISTINCT petition_id FROM documents WHERE petition_id IN ({list}) AND kind IN ('decision_letter', 'review_opinion', 'final_review_opinion') \
                 UNION SELECT DISTINCT petition_id FROM events WHERE petition_id IN ({list}) AND action IN ('reply', 'redirect')"
            ))
            .fetch_all(&self.pool)
            .await?;
            for r in &rows {
                if let Some(f) = out.get_mut(&r.i("petition_id")?) {
                    f.letter_complete = true;
                }
            }
            let rows =
                bind(format!("SELECT DISTINCT petition_id FROM evaluations WHERE petition_id IN ({list})")).fetch_all(&self.pool).await?;
            for r in &rows {
                if let Some(f) = out.get_mut(&r.i("petition_id")?) {
                    f.evaluated = true;
                }
            }
        }
        Ok(out)
    }

    /// Record a check and its sampled petitions: (petition, handling
    /// unit, what the record suggested).
    pub async fn create_spot_check(
        &self,
        unit: UnitId,
        month: &str,
        rule: &str,
        n: i64,
        by: i64,
        items: &[(i64, UnitId, [Option<bool>; 4])],
    ) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO spot_checks (unit_id, month, rule, n, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(unit)
        .bind(month.to_string())
        .bind(rule.to_string())
        .bind(n)
        .bind(by)
        .bind(fmt_instant(Utc::now()))
        .fetch_one(&mut *w.tx)
        .await?;
        for (pid, hunit, suggested) in items {
            sqlx::query("INSERT INTO spot_check_items (check_id, petition_id, handling_unit_id, suggested) VALUES ($1, $2, $3, $4)")
                .bind(id)
                .bind(*pid)
                .bind(*hunit)
                .bind(serde_json::to_string(suggested).unwrap_or_default())
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await?;
        Ok(id)
    }

    /// The checks of `unit`, newest first, with their counts.
    pub async fn spot_checks_of(&self, unit: UnitId) -> Result<Vec<SpotCheckRow>> {
        let rows = sqlx::query(
            "SELECT c.id, c.unit_id, c.month, c.rule, c.n, c.created_at, \
             COALESCE(SUM(CASE WHEN i.passed = 1 THEN 1 ELSE 0 END), 0) AS ok, COALESCE(SUM(CASE WHEN i.passed IS NOT NULL THEN 1 ELSE 0 END), 0) AS scored, COUNT(i.id) AS sampled \
             FROM spot_checks c LEFT JOIN spot_check_items i ON i.check_id = c.id WHERE c.unit_id = $1 \
             GROUP BY c.id, c.unit_id, c.month, c.rule, c.n, c.created_at ORDER BY c.id DESC",
        )
        .bind(unit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(check_row).collect()
    }

    /// One check and its items.
    pub async fn spot_check(&self, id: i64) -> Result<Option<(SpotCheckRow, Vec<SpotItemRow>)>> {
        let head = sqlx::query(
            "SELECT c.id, c.unit_id, c.month, c.rule, c.n, c.created_at, \
             COALESCE(SUM(CASE WHEN i.passed = 1 THEN 1 ELSE 0 END), 0) AS ok, COALESCE(SUM(CASE WHEN i.passed IS NOT NULL THEN 1 ELSE 0 END), 0) AS scored, COUNT(i.id) AS sampled \
             FROM spot_checks c LEFT JOIN spot_check_items i ON i.check_id = c.id WHERE c.id = $1 \
             GROUP BY c.id, c.unit_id, c.month, c.rule, c.n, c.created_at",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(head) = head else { return Ok(None) };
        let rows = sqlx::query(
            "SELECT i.id, p.number, p.title, p.case_json, p.confidential, i.handling_unit_id, i.suggested, i.procedure_ok, i.notice_on_time, i.letter_complete, i.evaluation_obtained, i.passed, i.note \
             FROM spot_check_items i JOIN petitions p ON p.id = i.petition_id WHERE i.check_id = $1 ORDER BY i.handling_unit_id, p.number",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                let suggested: [Option<bool>; 4] = serde_json::from_str(&r.s("suggested")?).unwrap_or([None; 4]);
                Ok(SpotItemRow {
                    id: r.i("id")?,
                    number: r.s("number")?,
                    title: r.s("title")?,
                    handling_unit_id: r.i("handling_unit_id")?,
                    suggested,
                    scores: [
                        ob(r.oi("procedure_ok")?),
                        ob(r.oi("notice_on_time")?),
                        ob(r.oi("letter_complete")?),
                        ob(r.oi("evaluation_obtained")?),
                    ],
                    passed: ob(r.oi("passed")?),
                    note: r.s("note")?,
                    case: serde_json::from_str(&r.s("case_json")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    confidential: r.b("confidential")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some((check_row(&head)?, items)))
    }

    /// Score item `item` of check `check`; false if it is not the check's.
    pub async fn score_spot_item(&self, check: i64, item: i64, scores: [bool; 4], passed: bool, note: &str, by: i64) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE spot_check_items SET procedure_ok = $1, notice_on_time = $2, letter_complete = $3, evaluation_obtained = $4, passed = $5, note = $6, scored_by = $7, scored_at = $8 \
             WHERE id = $9 AND check_id = $10",
        )
        .bind(i64::from(scores[0]))
        .bind(i64::from(scores[1]))
        .bind(i64::from(scores[2]))
        .bind(i64::from(scores[3]))
        .bind(i64::from(passed))
        .bind(note.to_string())
        .bind(by)
        .bind(fmt_instant(Utc::now()))
        .bind(item)
        .bind(check)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }

    /// Open an accountability review (责任倒查) of `unit` on a petition,
    /// with its history event; returns its id.
    pub async fn open_accountability(&self, petition_id: i64, unit: UnitId, by: i64, findings: &str, event: &EventDraft) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO accountability_reviews (petition_id, unit_id, opened_by, opened_at, findings) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(petition_id)
        .bind(unit)
        .bind(by)
        .bind(fmt_instant(Utc::now()))
        .bind(findings.to_string())
        .fetch_one(&mut *w.tx)
        .await?;
        self.insert_event(&mut w, petition_id, event).await?;
        w.commit().await?;
        Ok(id)
    }

    /// Refer review `id` to the discipline body `to` (once), with its
    /// history event; false if it is not the petition's or already referred.
    pub async fn refer_accountability(&self, petition_id: i64, id: i64, to: UnitId, event: &EventDraft) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query("UPDATE accountability_reviews SET referred_to = $1, referred_at = $2 WHERE id = $3 AND petition_id = $4 AND referred_to IS NULL")
            .bind(to)
            .bind(fmt_instant(Utc::now()))
            .bind(id)
            .bind(petition_id)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        self.insert_event(&mut w, petition_id, event).await?;
        w.commit().await?;
        Ok(true)
    }

    /// The accountability reviews of a petition: (id, unit, findings, opened at, referred to).
    pub async fn accountability_of(&self, petition_id: i64) -> Result<Vec<(i64, UnitId, String, DateTime<Utc>, Option<UnitId>)>> {
        let rows = sqlx::query(
            "SELECT id, unit_id, findings, opened_at, referred_to FROM accountability_reviews WHERE petition_id = $1 ORDER BY id",
        )
        .bind(petition_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.i("id")?, r.i("unit_id")?, r.s("findings")?, parse_instant(&r.s("opened_at")?)?, r.oi("referred_to")?)))
            .collect()
    }
}

fn check_row(r: &sqlx::any::AnyRow) -> Result<SpotCheckRow> {
    Ok(SpotCheckRow {
        id: r.i("id")?,
        unit_id: r.i("unit_id")?,
        month: r.s("month")?,
        rule: r.s("rule")?,
        n: r.i("n")?,
        created_at: parse_instant(&r.s("created_at")?)?,
        counts: (r.i("ok")?, r.i("scored")?, r.i("sampled")?),
    })
}
