//! Risk alerts (issue 13, item 4): raised with the petition, in its
//! registration's transaction, for the unit that received it; listed until
//! someone of that unit dismisses one with a reason.

use crate::db::{Arg, Result, RowExt, Sql, Store, WriteTx, fmt_instant};
use chrono::{DateTime, Utc};

/// An alert to raise with a new petition.
#[derive(Debug, Clone)]
pub struct NewRiskAlert {
    pub unit_id: i64,
    /// `elevated` or `urgent`.
    pub level: String,
    /// The signals as JSON (kind, label, urgent, words).
    pub signals: String,
}

#[derive(Debug, Clone)]
pub struct RiskAlertRow {
    pub id: i64,
    pub petition_id: i64,
    pub number: String,
    pub title: String,
    pub unit_id: i64,
    pub level: String,
    pub signals: String,
    pub raised_at: String,
    pub dismissed_at: Option<String>,
    pub dismissed_by: Option<i64>,
    pub dismiss_reason: Option<String>,
}

const COLUMNS: &str =
    "a.id, a.petition_id, p.number, p.title, a.unit_id, a.level, a.signals, a.raised_at, a.dismissed_at, a.dismissed_by, a.dismiss_reason";

fn row(r: &sqlx::any::AnyRow) -> Result<RiskAlertRow> {
    Ok(RiskAlertRow {
        id: r.i("id")?,
        petition_id: r.i("petition_id")?,
        number: r.s("number")?,
        title: r.s("title")?,
        unit_id: r.i("unit_id")?,
        level: r.s("level")?,
        signals: r.s("signals")?,
        raised_at: r.s("raised_at")?,
        dismissed_at: r.os("dismissed_at")?,
        dismissed_by: r.oi("dismissed_by")?,
        dismiss_reason: r.os("dismiss_reason")?,
    })
}

impl Store {
    pub(crate) async fn insert_risk_alert(&self, w: &mut WriteTx<'_>, petition_id: i64, a: &NewRiskAlert, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("INSERT INTO risk_alerts (petition_id, unit_id, level, signals, raised_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(petition_id)
            .bind(a.unit_id)
            .bind(a.level.clone())
            .bind(a.signals.clone())
            .bind(fmt_instant(at))
            .execute(&mut *w.tx)
            .await?;
        Ok(())
    }

    /// Alerts of `unit_ids`, newest first; with `open`, only those not dismissed.
    pub async fn risk_alerts(&self, unit_ids: &[i64], open: bool, limit: i64) -> Result<Vec<RiskAlertRow>> {
        if unit_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql =
            Sql::new(&format!("SELECT {COLUMNS} FROM risk_alerts a JOIN petitions p ON p.id = a.petition_id WHERE a.unit_id IN ("));
        for (i, u) in unit_ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(Arg::I(*u));
        }
        sql.push(")");
        if open {
            sql.push(" AND a.dismissed_at IS NULL");
        }
        sql.push(" ORDER BY a.id DESC LIMIT ").bind(Arg::I(limit));
        sql.query().fetch_all(&self.pool).await?.iter().map(row).collect()
    }

    /// The alerts of one petition, oldest first.
    pub async fn risk_alerts_of(&self, petition_id: i64) -> Result<Vec<RiskAlertRow>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM risk_alerts a JOIN petitions p ON p.id = a.petition_id WHERE a.petition_id = $1 ORDER BY a.id"
        )))
        .bind(petition_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row).collect()
    }

    /// Dismiss an open alert of one of `unit_ids`; false when there is none
    /// (another unit's, unknown, or already dismissed).
    pub async fn dismiss_risk_alert(&self, id: i64, unit_ids: &[i64], user_id: i64, reason: &str, at: DateTime<Utc>) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let mut sql = Sql::new("UPDATE risk_alerts SET dismissed_at = ");
        sql.bind(Arg::S(fmt_instant(at))).push(", dismissed_by = ").bind(Arg::I(user_id));
        sql.push(", dismiss_reason = ").bind(Arg::S(reason.to_string()));
        sql.push(" WHERE id = ").bind(Arg::I(id)).push(" AND dismissed_at IS NULL AND unit_id IN (");
        for (i, u) in unit_ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(Arg::I(*u));
        }
        sql.push(")");
        let n = sql.query().execute(&mut *w.tx).await?.rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }
}
