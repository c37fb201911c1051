//! Art. 25 reports as a queue: one row per recipient unit, written in the
//! same transaction as the `report_urgent` event, acknowledged once by the
//! recipient (with an `acknowledge_report` event in the petition history).

use crate::db::{Arg, Result, RowExt, Sql, Store, StoreError, WriteTx, fmt_instant};
use crate::petitions::EventDraft;
use chrono::{DateTime, Utc};
use xinfang_domain::procedure::Case;
use xinfang_domain::unit::UnitId;

/// Rows an act writes besides the petition's own, in the act's transaction.
#[derive(Debug, Clone, Default)]
pub struct ActRows {
    pub urgent_reports: Vec<NewUrgentReport>,
    /// Letters the act issues (numbered and queued for rendering).
    pub letters: Vec<xinfang_domain::letters::LetterDraft>,
    /// Other work the act owes (notices to deliver), queued with it.
    pub jobs: Vec<crate::queue::NewJob>,
    /// Supervision cases the act opens (issue 12), carrying its event's seq.
    /// An automatic one whose timer already has a case fails the act
    /// (`Conflict`): one case per breach, however many nodes sweep.
    pub supervision_cases: Vec<crate::supervision::NewSupervisionCase>,
    /// The keyed hash of a reissued query code (`reissue_query_code`),
    /// stored before the event so that the event's record digest binds it.
    pub query_code_hash: Option<String>,
    /// A corrected place (`correct_place`), written to the petition's
    /// column (lists, areas' viewers, statistics read it) before the event.
    pub jurisdiction: Option<String>,
    /// A corrected topic (`correct_topic`), written to the petition's
    /// column (lists, hot spots, statistics and training read it) before
    /// the event, so that the event's record digest binds it.
    pub topic: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewUrgentReport {
    pub reporting_unit_id: UnitId,
    pub recipient_unit_id: UnitId,
    pub summary: String,
    pub reported_at: DateTime<Utc>,
    /// When the recipient should have acknowledged it (`urgent_ack_hours`).
    pub ack_due_at: DateTime<Utc>,
}

/// A report as its recipient sees it, with what the queue needs of the petition.
#[derive(Debug, Clone)]
pub struct UrgentReportRow {
    pub id: i64,
    pub petition_id: i64,
    pub number: String,
    pub title: String,
    pub confidential: bool,
    /// The procedure state, for the viewer's access rules (sealed titles).
    pub case: Case,
    pub event_seq: i64,
    pub reporting_unit_id: UnitId,
    pub recipient_unit_id: UnitId,
    pub summary: String,
    pub reported_at: String,
    pub ack_due_at: String,
    pub acknowledged_at: Option<String>,
    pub acknowledged_by: Option<String>,
}

#[derive(Debug, Clone)]
pub struct UrgentFilter {
    pub recipient_unit_id: UnitId,
    /// Only those not yet acknowledged.
    pub pending: bool,
    /// Only those not acknowledged by their due time, as of this instant.
    pub overdue_at: Option<DateTime<Utc>>,
    pub limit: i64,
}

const SELECT: &str = "SELECT r.id, r.petition_id, p.number, p.title, p.confidential, p.case_json, r.event_seq, r.reporting_unit_id, r.recipient_unit_id, r.summary, r.reported_at, r.ack_due_at, r.acknowledged_at, u.username AS acknowledged_by FROM urgent_reports r JOIN petitions p ON p.id = r.petition_id LEFT JOIN users u ON u.id = r.acknowledged_by";

fn row(r: &sqlx::any::AnyRow) -> Result<UrgentReportRow> {
    Ok(UrgentReportRow {
        id: r.i("id")?,
        petition_id: r.i("petition_id")?,
        number: r.s("number")?,
        title: r.s("title")?,
        confidential: r.b("confidential")?,
        case: serde_json::from_str(&r.s("case_json")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        event_seq: r.i("event_seq")?,
        reporting_unit_id: r.i("reporting_unit_id")?,
        recipient_unit_id: r.i("recipient_unit_id")?,
        summary: r.s("summary")?,
        reported_at: r.s("reported_at")?,
        ack_due_at: r.s("ack_due_at")?,
        acknowledged_at: r.os("acknowledged_at")?,
        acknowledged_by: r.os("acknowledged_by")?,
    })
}

impl Store {
    /// Write the report rows of the event `event_seq` (inside its transaction).
    pub(crate) async fn insert_urgent_reports(
        &self,
        w: &mut WriteTx<'_>,
        petition_id: i64,
        event_seq: i64,
        rows: &[NewUrgentReport],
    ) -> Result<()> {
        for r in rows {
            sqlx::query(
                "INSERT INTO urgent_reports (petition_id, event_seq, reporting_unit_id, recipient_unit_id, summary, reported_at, ack_due_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(petition_id)
            .bind(event_seq)
            .bind(r.reporting_unit_id)
            .bind(r.recipient_unit_id)
            .bind(r.summary.clone())
            .bind(fmt_instant(r.reported_at))
            .bind(fmt_instant(r.ack_due_at))
            .execute(&mut *w.tx)
            .await?;
        }
        Ok(())
    }

    /// The reports addressed to one unit: pending first by due time, then
    /// the acknowledged ones, newest first.
    pub async fn urgent_reports(&self, f: &UrgentFilter) -> Result<Vec<UrgentReportRow>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" WHERE r.recipient_unit_id = ").bind(Arg::I(f.recipient_unit_id));
        if f.pending || f.overdue_at.is_some() {
            sql.push(" AND r.acknowledged_at IS NULL");
        }
        if let Some(at) = f.overdue_at {
            sql.push(" AND r.ack_due_at < ").bind(Arg::S(fmt_instant(at)));
        }
        sql.push(" ORDER BY CASE WHEN r.acknowledged_at IS NULL THEN 0 ELSE 1 END, CASE WHEN r.acknowledged_at IS NULL THEN r.ack_due_at END, r.reported_at DESC, r.id DESC LIMIT ")
            .bind(Arg::I(f.limit));
        sql.query().fetch_all(&self.pool).await?.iter().map(row).collect()
    }

    pub async fn urgent_report(&self, id: i64) -> Result<Option<UrgentReportRow>> {
        let mut sql = Sql::new(SELECT);
        sql.push(" WHERE r.id = ").bind(Arg::I(id));
        sql.query().fetch_optional(&self.pool).await?.as_ref().map(row).transpose()
    }

    /// Mark a report acknowledged and append `event` to its petition's
    /// history, in one transaction. `Conflict` if it was already acknowledged
    /// (also when two recipients' clerks race: exactly one wins).
    pub async fn acknowledge_urgent_report(&self, id: i64, user_id: i64, at: DateTime<Utc>, event: &EventDraft) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let petition_id: Option<i64> = sqlx::query_scalar(
            "UPDATE urgent_reports SET acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3 AND acknowledged_at IS NULL RETURNING petition_id",
        )
        .bind(fmt_instant(at))
        .bind(user_id)
        .bind(id)
        .fetch_optional(&mut *w.tx)
        .await?;
        let Some(petition_id) = petition_id else { return Err(StoreError::Conflict) };
        let seq = self.insert_event(&mut w, petition_id, event).await?;
        w.commit().await?;
        Ok(seq)
    }
}
