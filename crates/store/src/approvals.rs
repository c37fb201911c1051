//! Acts waiting for the unit head's approval (four eyes). A request is
//! written with its history event in one transaction; the head's decision
//! is recorded once (a second decision finds nothing pending).

use crate::db::{Result, RowExt, Store, StoreError, fmt_date, fmt_instant, parse_date};
use crate::petitions::{EventDraft, NewAttachment};
use chrono::{NaiveDate, Utc};
use xinfang_domain::procedure::Case;
use xinfang_domain::unit::UnitId;

#[derive(Debug, Clone)]
pub struct NewApproval {
    pub petition_id: i64,
    pub action: String,
    pub body: serde_json::Value,
    pub occurred_on: Option<NaiveDate>,
    pub evidence_attachment_id: Option<i64>,
    /// None when the petitioner asked (a late 复查/复核 request).
    pub requested_by: Option<i64>,
    pub requested_unit_id: Option<UnitId>,
    pub approver_unit_id: UnitId,
    pub due_on: NaiveDate,
}

#[derive(Debug, Clone)]
pub struct Approval {
    pub id: i64,
    pub petition_id: i64,
    pub number: String,
    pub title: String,
    pub action: String,
    pub body: serde_json::Value,
    pub occurred_on: Option<NaiveDate>,
    pub evidence_attachment_id: Option<i64>,
    pub requested_by: Option<String>,
    pub requested_unit_id: Option<UnitId>,
    pub approver_unit_id: UnitId,
    pub requested_at: String,
    pub due_on: NaiveDate,
    pub status: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    /// The petition as access rules read it: a request outlives the view
    /// its unit had when it was filed (an accusation sealed once referred,
    /// hidden from the unit it names).
    pub case: Case,
    pub confidential: bool,
}

const SELECT: &str = "SELECT a.id, a.petition_id, p.number, p.title, p.case_json, p.confidential, a.action, a.body_json, a.occurred_on, a.evidence_attachment_id, ru.username AS requested_by, a.requested_unit_id, a.approver_unit_id, a.requested_at, a.due_on, a.status, du.username AS decided_by, a.decided_at, a.decision_note FROM approvals a JOIN petitions p ON p.id = a.petition_id LEFT JOIN users ru ON ru.id = a.requested_by LEFT JOIN users du ON du.id = a.decided_by";

fn approval_from_row(r: &sqlx::any::AnyRow) -> Result<Approval> {
    Ok(Approval {
        id: r.i("id")?,
        petition_id: r.i("petition_id")?,
        number: r.s("number")?,
        title: r.s("title")?,
        action: r.s("action")?,
        body: serde_json::from_str(&r.s("body_json")?).unwrap_or(serde_json::Value::Null),
        occurred_on: r.os("occurred_on")?.map(|d| parse_date(&d)).transpose()?,
        evidence_attachment_id: r.oi("evidence_attachment_id")?,
        requested_by: r.os("requested_by")?,
        requested_unit_id: r.oi("requested_unit_id")?,
        approver_unit_id: r.i("approver_unit_id")?,
        requested_at: r.s("requested_at")?,
        due_on: parse_date(&r.s("due_on")?)?,
        status: r.s("status")?,
        decided_by: r.os("decided_by")?,
        decided_at: r.os("decided_at")?,
        decision_note: r.os("decision_note")?,
        case: serde_json::from_str(&r.s("case_json")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        confidential: r.b("confidential")?,
    })
}

impl Store {
    /// File a request and its history event together; returns the request id.
    pub async fn request_approval(&self, a: &NewApproval, event: &EventDraft) -> Result<i64> {
        Ok(self.request_approval_once(a, event).await?.0)
    }

    /// File a request unless the same act already waits on this petition
    /// (a double click, a second node, a petitioner asking again): then the
    /// waiting request is returned and `false` says nothing new was filed.
    /// A partial unique index keeps it one even between nodes.
    pub async fn request_approval_once(&self, a: &NewApproval, event: &EventDraft) -> Result<(i64, bool)> {
        let mut w = self.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO approvals (petition_id, action, body_json, occurred_on, evidence_attachment_id, requested_by, requested_by_petitioner, requested_unit_id, approver_unit_id, requested_at, due_on, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending') ON CONFLICT (petition_id, action) WHERE status = 'pending' DO NOTHING RETURNING id",
        )
        .bind(a.petition_id)
        .bind(a.action.clone())
        .bind(a.body.to_string())
        .bind(a.occurred_on.map(fmt_date))
        .bind(a.evidence_attachment_id)
        .bind(a.requested_by)
        .bind(i64::from(a.requested_by.is_none()))
        .bind(a.requested_unit_id)
        .bind(a.approver_unit_id)
        .bind(fmt_instant(Utc::now()))
        .bind(fmt_date(a.due_on))
        .fetch_optional(&mut *w.tx)
        .await?;
        let Some(id) = id else {
            let waiting: i64 = sqlx::query_scalar("SELECT id FROM approvals WHERE petition_id = $1 AND action = $2 AND status = 'pending'")
                .bind(a.petition_id)
                .bind(a.action.clone())
                .fetch_one(&mut *w.tx)
                .await?;
            w.commit().await?;
            return Ok((waiting, false));
        };
        self.insert_event(&mut w, a.petition_id, event).await?;
        w.commit().await?;
        Ok((id, true))
    }

    /// Take a pending request for the head who approves it, so that a
    /// second click (or a second head, or a refusal) finds it taken; false
    /// when it was no longer pending.
    pub async fn claim_approval(&self, id: i64, by: i64) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query("UPDATE approvals SET status = 'approving', decided_by = $1 WHERE id = $2 AND status = 'pending'")
            .bind(by)
            .bind(id)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }

    /// Settle a claimed request: `approved`, `lapsed`, or back to `pending`
    /// when the act failed for a reason that is not the request's (a
    /// concurrent change, the database).
    pub async fn settle_approval(&self, id: i64, status: &str, by: i64, note: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        let decided_at = (status != "pending").then(|| fmt_instant(Utc::now()));
        sqlx::query(
            "UPDATE approvals SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4 WHERE id = $5 AND status = 'approving'",
        )
        .bind(status.to_string())
        .bind((status != "pending").then_some(by))
        .bind(decided_at)
        .bind(note.to_string())
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    /// Requests addressed to `unit`, pending first by due date.
    pub async fn approvals_for_unit(&self, unit: UnitId, pending_only: bool) -> Result<Vec<Approval>> {
        let sql = format!(
            "{SELECT} WHERE a.approver_unit_id = $1{} ORDER BY CASE WHEN a.status = 'pending' THEN 0 ELSE 1 END, a.due_on, a.id LIMIT 200",
            if pending_only { " AND a.status = 'pending'" } else { "" }
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(unit).fetch_all(&self.pool).await?;
        rows.iter().map(approval_from_row).collect()
    }

    pub async fn approval(&self, id: i64) -> Result<Option<Approval>> {
        let sql = format!("{SELECT} WHERE a.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(approval_from_row).transpose()
    }

    /// Pending requests on one petition (shown on its page).
    pub async fn approvals_of_petition(&self, petition_id: i64) -> Result<Vec<Approval>> {
        approvals_of_petition_on(&mut *self.pool.acquire().await?, petition_id).await
    }

    /// Record the head's decision; false when it was no longer pending.
    pub async fn decide_approval(
        &self,
        id: i64,
        status: &str,
        decided_by: i64,
        note: &str,
        event: Option<(i64, &EventDraft)>,
    ) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE approvals SET status = $1, decided_by = $2, decided_at = $3, decision_note = $4 WHERE id = $5 AND status = 'pending'",
        )
        .bind(status.to_string())
        .bind(decided_by)
        .bind(fmt_instant(Utc::now()))
        .bind(note.to_string())
        .bind(id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 1
            && let Some((petition_id, e)) = event
        {
            self.insert_event(&mut w, petition_id, e).await?;
        }
        w.commit().await?;
        Ok(n == 1)
    }

    /// Take off the file a document no event or request refers to (the
    /// evidence of an act that was then refused). Its content stays in the
    /// object store (content-addressed, maybe shared).
    pub async fn remove_unused_attachment(&self, petition_id: i64, id: i64) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("DELETE FROM attachments WHERE id = $1 AND petition_id = $2 AND id NOT IN (SELECT evidence_attachment_id FROM approvals WHERE evidence_attachment_id IS NOT NULL)")
            .bind(id)
            .bind(petition_id)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    /// Add a document to a petition's file (e.g. the scanned 收文 behind a late entry).
    pub async fn add_attachment(&self, petition_id: i64, a: &NewAttachment) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let number: String =
            sqlx::query_scalar("SELECT number FROM petitions WHERE id = $1").bind(petition_id).fetch_one(&mut *w.tx).await?;
        let id = self.insert_attachment(&mut w, petition_id, &number, a, Utc::now()).await?;
        w.commit().await?;
        Ok(id)
    }
}

/// `Store::approvals_of_petition` on a connection already held.
pub(crate) async fn approvals_of_petition_on(c: &mut sqlx::AnyConnection, petition_id: i64) -> Result<Vec<Approval>> {
    let sql = format!("{SELECT} WHERE a.petition_id = $1 ORDER BY a.id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(petition_id).fetch_all(c).await?;
    rows.iter().map(approval_from_row).collect()
}
