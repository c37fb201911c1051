//! The dispatch board's figures and the dispatch orders (issue 14, item 2;
//! rules in `domain::dispatch`). The figures are grouped reads by area code
//! over index ranges: disputes by village, petitions by their place.

use crate::db::{Arg, Result, RowExt, Sql, Store, fmt_instant};
use crate::disputes::prefix_end;
use chrono::{DateTime, Utc};
use xinfang_domain::unit::UnitId;

/// Disputes of one village: open, open past the target date, open at high risk.
#[derive(Debug, Clone, Default)]
pub struct VillageDisputes {
    pub village_code: String,
    pub open: i64,
    pub overdue: i64,
    pub high: i64,
}

/// Petitions of one place (division code): open, with a timer overdue.
#[derive(Debug, Clone, Default)]
pub struct PlacePetitions {
    pub jurisdiction: String,
    pub open: i64,
    pub overdue: i64,
}

#[derive(Debug, Clone)]
pub struct NewOrder {
    pub from_unit_id: UnitId,
    pub to_unit_id: UnitId,
    pub subject: String,
    pub content: String,
    pub due_on: String,
    pub dispute_id: Option<i64>,
    pub petition_number: Option<String>,
    pub created_by: i64,
}

#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: i64,
    pub from_unit_id: UnitId,
    pub to_unit_id: UnitId,
    pub subject: String,
    pub content: String,
    pub due_on: String,
    pub dispute_id: Option<i64>,
    /// The day the dispute was recorded (its ledger number's year).
    pub dispute_recorded_on: Option<String>,
    pub petition_number: Option<String>,
    pub state: String,
    pub created_by_name: String,
    pub created_at: String,
    pub feedback: Option<String>,
    pub answered_at: Option<String>,
    pub answered_by_name: Option<String>,
    pub closed_at: Option<String>,
}

const ORDER_COLUMNS: &str = "o.id, o.from_unit_id, o.to_unit_id, o.subject, o.content, o.due_on, o.dispute_id, d.recorded_on AS dispute_recorded_on, o.petition_number, o.state, \
     COALESCE(c.display_name, '') AS created_by_name, o.created_at, o.feedback, o.answered_at, a.display_name AS answered_by_name, o.closed_at";

fn order(r: &sqlx::any::AnyRow) -> Result<OrderRow> {
    Ok(OrderRow {
        id: r.i("id")?,
        from_unit_id: r.i("from_unit_id")?,
        to_unit_id: r.i("to_unit_id")?,
        subject: r.s("subject")?,
        content: r.s("content")?,
        due_on: r.s("due_on")?,
        dispute_id: r.oi("dispute_id")?,
        dispute_recorded_on: r.os("dispute_recorded_on")?,
        petition_number: r.os("petition_number")?,
        state: r.s("state")?,
        created_by_name: r.s("created_by_name")?,
        created_at: r.s("created_at")?,
        feedback: r.os("feedback")?,
        answered_at: r.os("answered_at")?,
        answered_by_name: r.os("answered_by_name")?,
        closed_at: r.os("closed_at")?,
    })
}

impl Store {
    /// Open disputes of the area's villages, grouped by village.
    pub async fn board_disputes(&self, area: &str, today: &str) -> Result<Vec<VillageDisputes>> {
        let rows = sqlx::query(
            "SELECT village_code, COUNT(*) AS open, \
             SUM(CASE WHEN target_on < $3 THEN 1 ELSE 0 END) AS overdue, SUM(CASE WHEN risk = 'high' THEN 1 ELSE 0 END) AS high \
             FROM disputes WHERE state = 'open' AND village_code >= $1 AND village_code < $2 GROUP BY village_code",
        )
        .bind(area.to_string())
        .bind(prefix_end(area))
        .bind(today.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(VillageDisputes { village_code: r.s("village_code")?, open: r.i("open")?, overdue: r.i("overdue")?, high: r.i("high")? })
            })
            .collect()
    }

    /// Petitions still in process whose place is in the area, grouped by
    /// place, with how many have a timer past its due day.
    pub async fn board_petitions(&self, area: &str, open_states: &[&str], today: &str) -> Result<Vec<PlacePetitions>> {
        let mut sql = Sql::new("SELECT jurisdiction, COUNT(*) AS open, SUM(CASE WHEN next_due_on < ");
        sql.bind(Arg::S(today.to_string()));
        sql.push(" THEN 1 ELSE 0 END) AS overdue FROM petitions WHERE jurisdiction >= ").bind(Arg::S(area.to_string()));
        sql.push(" AND jurisdiction < ").bind(Arg::S(prefix_end(area))).push(" AND state IN (");
        for (i, s) in open_states.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(Arg::S(s.to_string()));
        }
        sql.push(") GROUP BY jurisdiction");
        sql.query()
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| Ok(PlacePetitions { jurisdiction: r.s("jurisdiction")?, open: r.i("open")?, overdue: r.i("overdue")? }))
            .collect()
    }

    /// Petitions whose place is in the area received in [from, to), by
    /// place and the level of the unit that received them.
    pub async fn board_received(&self, area: &str, from: &str, to: &str) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT p.jurisdiction, u.level, COUNT(*) AS n FROM petitions p JOIN units u ON u.id = p.registered_unit_id \
             WHERE p.jurisdiction >= $1 AND p.jurisdiction < $2 AND p.received_on >= $3 AND p.received_on < $4 GROUP BY p.jurisdiction, u.level",
        )
        .bind(area.to_string())
        .bind(prefix_end(area))
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.s("jurisdiction")?, r.s("level")?, r.i("n")?))).collect()
    }

    /// The names of division codes (those the division table knows).
    pub async fn division_names(&self, codes: &[String]) -> Result<std::collections::HashMap<String, String>> {
        let mut out = std::collections::HashMap::new();
        for chunk in codes.chunks(500) {
            let mut sql = Sql::new("SELECT code, name FROM divisions WHERE code IN (");
            sql.texts(chunk).push(")");
            for r in sql.query().fetch_all(&self.pool).await? {
                out.insert(r.s("code")?, r.s("name")?);
            }
        }
        Ok(out)
    }

    pub async fn insert_order(&self, o: &NewOrder, at: DateTime<Utc>) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO dispatch_orders (from_unit_id, to_unit_id, subject, content, due_on, dispute_id, petition_number, state, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9) RETURNING id",
        )
        .bind(o.from_unit_id)
        .bind(o.to_unit_id)
        .bind(o.subject.clone())
        .bind(o.content.clone())
        .bind(o.due_on.clone())
        .bind(o.dispute_id)
        .bind(o.petition_number.clone())
        .bind(o.created_by)
        .bind(fmt_instant(at))
        .fetch_one(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(id)
    }

    pub async fn order(&self, id: i64) -> Result<Option<OrderRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {ORDER_COLUMNS} FROM dispatch_orders o LEFT JOIN users c ON c.id = o.created_by LEFT JOIN users a ON a.id = o.answered_by LEFT JOIN disputes d ON d.id = o.dispute_id WHERE o.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(order).transpose()
    }

    /// Orders received by (`inbox`) or sent by one of `units`, newest first.
    pub async fn orders(&self, units: &[UnitId], inbox: bool, limit: i64) -> Result<Vec<OrderRow>> {
        let col = if inbox { "o.to_unit_id" } else { "o.from_unit_id" };
        let mut sql = Sql::new(&format!(
            "SELECT {ORDER_COLUMNS} FROM dispatch_orders o LEFT JOIN users c ON c.id = o.created_by LEFT JOIN users a ON a.id = o.answered_by LEFT JOIN disputes d ON d.id = o.dispute_id WHERE "
        ));
        crate::petitions::viewer_in(&mut sql, col, units);
        sql.push(" ORDER BY o.id DESC LIMIT ").bind(Arg::I(limit));
        sql.query().fetch_all(&self.pool).await?.iter().map(order).collect()
    }

    /// The receiver's feedback (each answer replaces the last; false when closed).
    pub async fn answer_order(&self, id: i64, feedback: &str, user_id: i64, at: DateTime<Utc>) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE dispatch_orders SET feedback = $1, answered_at = $2, answered_by = $3, state = 'answered' WHERE id = $4 AND state <> 'closed'",
        )
        .bind(feedback.to_string())
        .bind(fmt_instant(at))
        .bind(user_id)
        .bind(id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }

    /// The sender closes an answered order (false unless answered).
    pub async fn close_order(&self, id: i64, at: DateTime<Utc>) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query("UPDATE dispatch_orders SET state = 'closed', closed_at = $1 WHERE id = $2 AND state = 'answered'")
            .bind(fmt_instant(at))
            .bind(id)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }
}
