//! Risk alerts (issue 13, item 4): raised with the petition, in its
//! registration's transaction, for the unit that received it, or by hand
//! by someone who reads a danger the readers missed (an urgent one for the
//! area's petition bureau too, `domain::alerting`: one row per unit);
//! listed until someone of that unit dismisses it with a reason, as a false alarm or as
//! handled. A false alarm and a danger raised by hand are corrections
//! (`risk_corrections`) that the next urgent model learns (`urgent_trainings`).

use crate::db::{Arg, Result, RowExt, Sql, Store, StoreError, WriteTx, fmt_instant};
use chrono::{DateTime, Utc};
use xinfang_domain::procedure::Case;

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
    /// Who dismissed it and who raised it by hand, by their names.
    pub dismissed_by_name: Option<String>,
    pub raised_by_name: Option<String>,
    pub dismiss_reason: Option<String>,
    /// `false_alarm` or `handled`, once dismissed (None for alerts
    /// dismissed before the verdict was asked).
    pub verdict: Option<String>,
    /// The staff member who raised it by hand, and why (None: raised by
    /// the readers at registration).
    pub raised_by: Option<i64>,
    pub raise_reason: Option<String>,
    /// The petition as access rules read it (`access::view`): an alert
    /// outlives the view its unit had when it was raised (an accusation
    /// sealed once forwarded, hidden once the accused is named).
    pub case: Case,
    pub confidential: bool,
}

/// An alert raised by hand: its signals (JSON) and level as for one
/// raised at registration, and what the next urgent model learns from it.
#[derive(Debug, Clone)]
pub struct RaisedAlert {
    pub petition_id: i64,
    pub alert: NewRiskAlert,
    pub raised_by: i64,
    pub reason: String,
    /// The kind of danger (a `RiskKind` code), learnt when urgent.
    pub kind: String,
    /// Other units the same alert is raised for (the area's petition
    /// bureau, `domain::alerting`): one that already has the same open
    /// alert by hand keeps it.
    pub also_for: Vec<i64>,
}

/// One correction as the urgent model learns it: the petition's text
/// fields, urgent or not, the kind of an urgent one.
#[derive(Debug, Clone)]
pub struct RiskCorrection {
    pub petition_id: i64,
    pub title: String,
    pub content: String,
    pub request: String,
    pub facts_and_reasons: String,
    pub urgent: bool,
    pub kind: Option<String>,
}

/// A training of the urgent model: the corrections up to one id.
#[derive(Debug, Clone, PartialEq)]
pub struct UrgentTraining {
    pub id: i64,
    pub corrections_upto: i64,
    /// Petitions whose newest correction is learnt.
    pub corrections: i64,
    pub trained_at: String,
    pub trained_by: Option<i64>,
}

const COLUMNS: &str = "a.id, a.petition_id, p.number, p.title, a.unit_id, a.level, a.signals, a.raised_at, a.dismissed_at, a.dismissed_by, \
                       a.dismiss_reason, a.verdict, a.raised_by, a.raise_reason, p.case_json, p.confidential, \
                       (SELECT u.display_name FROM users u WHERE u.id = a.dismissed_by) AS dismissed_by_name, \
                       (SELECT u.display_name FROM users u WHERE u.id = a.raised_by) AS raised_by_name";

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
        dismissed_by_name: r.os("dismissed_by_name")?,
        raised_by_name: r.os("raised_by_name")?,
        dismiss_reason: r.os("dismiss_reason")?,
        verdict: r.os("verdict")?,
        raised_by: r.oi("raised_by")?,
        raise_reason: r.os("raise_reason")?,
        case: serde_json::from_str(&r.s("case_json")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        confidential: r.b("confidential")?,
    })
}

/// The newest correction of each petition with an id up to `upto`: the
/// one a model trained at `upto` learns.
const NEWEST_CORRECTIONS: &str = "SELECT c.petition_id, c.urgent, c.kind, p.title, p.content, p.request, p.facts_and_reasons \
     FROM risk_corrections c JOIN petitions p ON p.id = c.petition_id \
     WHERE c.id = (SELECT MAX(c2.id) FROM risk_corrections c2 WHERE c2.petition_id = c.petition_id AND c2.id <= $1) \
     ORDER BY c.petition_id";

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
        self.risk_alerts_where(unit_ids, open, false, limit).await
    }

    /// Urgent alerts of `unit_ids` not dismissed, newest first (the
    /// workbench's banner).
    pub async fn open_urgent_risk_alerts(&self, unit_ids: &[i64], limit: i64) -> Result<Vec<RiskAlertRow>> {
        self.risk_alerts_where(unit_ids, true, true, limit).await
    }

    async fn risk_alerts_where(&self, unit_ids: &[i64], open: bool, urgent: bool, limit: i64) -> Result<Vec<RiskAlertRow>> {
        if unit_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM risk_alerts a JOIN petitions p ON p.id = a.petition_id WHERE "));
        crate::petitions::viewer_in(&mut sql, "a.unit_id", unit_ids);
        if open {
            sql.push(" AND a.dismissed_at IS NULL");
        }
        if urgent {
            sql.push(" AND a.level = 'urgent'");
        }
        sql.push(" ORDER BY a.id DESC LIMIT ").bind(Arg::I(limit));
        sql.query().fetch_all(&self.pool).await?.iter().map(row).collect()
    }

    /// The alerts of one petition, oldest first.
    pub async fn risk_alerts_of(&self, petition_id: i64) -> Result<Vec<RiskAlertRow>> {
        risk_alerts_of_on(&mut *self.pool.acquire().await?, petition_id).await
    }

    /// One alert, dismissed or not.
    pub async fn risk_alert(&self, id: i64) -> Result<Option<RiskAlertRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM risk_alerts a JOIN petitions p ON p.id = a.petition_id WHERE a.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(row).transpose()
    }

    /// Dismiss an open alert of one of `unit_ids` with `verdict`
    /// (`false_alarm` or `handled`); None when there is none (another
    /// unit's, unknown, or already dismissed), else whether the dismissal is
    /// a correction the next urgent model learns: an urgent alert dismissed
    /// as a false alarm by the unit that found it (the petition is not
    /// urgent), written in the same transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn dismiss_risk_alert(
        &self,
        id: i64,
        unit_ids: &[i64],
        user_id: i64,
        reason: &str,
        verdict: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<bool>> {
        let mut w = self.begin_write().await?;
        let mut sql = Sql::new("UPDATE risk_alerts SET dismissed_at = ");
        sql.bind(Arg::S(fmt_instant(at))).push(", dismissed_by = ").bind(Arg::I(user_id));
        sql.push(", dismiss_reason = ").bind(Arg::S(reason.to_string()));
        sql.push(", verdict = ").bind(Arg::S(verdict.to_string()));
        sql.push(" WHERE id = ").bind(Arg::I(id)).push(" AND dismissed_at IS NULL AND ");
        crate::petitions::viewer_in(&mut sql, "unit_id", unit_ids);
        sql.push(" RETURNING petition_id, level");
        let Some(row) = sql.query().fetch_optional(&mut *w.tx).await? else {
            return Ok(None);
        };
        // Only an urgent alarm corrects the urgent model: an elevated
        // alert found false says nothing of urgency, and must not undo an
        // urgent danger someone raised on the same petition. Nor does the
        // verdict on a copy told to another unit (the area's bureau,
        // `domain::alerting`): the unit that met the petitioner and found
        // the danger is the one whose judgement the model learns.
        let learnt = verdict == "false_alarm" && row.s("level")? == "urgent" && !is_copy(&mut w, id).await?;
        if learnt {
            let petition_id = row.i("petition_id")?;
            insert_correction(&mut w, petition_id, id, false, None, user_id, at).await?;
        }
        w.commit().await?;
        Ok(Some(learnt))
    }

    /// Raise an alert by hand, with the jobs it sends (the duty officers'
    /// e-mail of an urgent one), in one transaction; an urgent one is a
    /// correction of its kind. Returns the alert's id, or None when the
    /// unit already has the same alert open on the petition (a double
    /// click, a form sent again): nothing is written then.
    pub async fn raise_risk_alert(&self, a: &RaisedAlert, jobs: &[crate::queue::NewJob], at: DateTime<Utc>) -> Result<Option<i64>> {
        let mut w = self.begin_write().await?;
        // The same open alert by hand of the unit (the unique index): a
        // double click or a form sent again, nothing written.
        let Some(id) = insert_by_hand(&mut w, a, a.alert.unit_id, at).await? else { return Ok(None) };
        // A unit told too that already has the same alert keeps it.
        for unit in &a.also_for {
            insert_by_hand(&mut w, a, *unit, at).await?;
        }
        if a.alert.level == "urgent" {
            insert_correction(&mut w, a.petition_id, id, true, Some(&a.kind), a.raised_by, at).await?;
        }
        for job in jobs {
            crate::queue::enqueue_in(&mut w, job).await?;
        }
        w.commit().await?;
        Ok(Some(id))
    }

    /// The corrections a model trained at `upto` learns: the newest of
    /// each petition, by petition (the same rows, in the same order, on
    /// every node).
    pub async fn risk_corrections(&self, upto: i64) -> Result<Vec<RiskCorrection>> {
        let rows = sqlx::query(NEWEST_CORRECTIONS).bind(upto).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(RiskCorrection {
                    petition_id: r.i("petition_id")?,
                    urgent: r.i("urgent")? != 0,
                    kind: r.os("kind")?,
                    title: r.s("title")?,
                    content: r.s("content")?,
                    request: r.s("request")?,
                    facts_and_reasons: r.s("facts_and_reasons")?,
                })
            })
            .collect()
    }

    /// Record a training of the urgent model with every correction given
    /// so far, unless the newest training already has them all; returns
    /// the training in force (None while no correction was ever given: the
    /// model of the labelled sets alone is in force).
    pub async fn record_urgent_training(&self, by: Option<i64>, at: DateTime<Utc>) -> Result<Option<UrgentTraining>> {
        let mut w = self.begin_write().await?;
        // PostgreSQL hands out ids before commits: wait for the corrections
        // still being written, so that no id below the newest is learnt by
        // one node and not by another, and record one training at a time.
        // (SQLite's writes already take turns.)
        if self.dialect == crate::db::Dialect::Postgres {
            sqlx::query("LOCK TABLE risk_corrections IN SHARE ROW EXCLUSIVE MODE").execute(&mut *w.tx).await?;
        }
        let upto: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM risk_corrections").fetch_one(&mut *w.tx).await?;
        let Some(upto) = upto else { return Ok(None) };
        if let Some(latest) = latest_training(&mut w).await?
            && latest.corrections_upto == upto
        {
            return Ok(Some(latest));
        }
        let corrections: i64 = sqlx::query_scalar("SELECT COUNT(DISTINCT petition_id) FROM risk_corrections WHERE id <= $1")
            .bind(upto)
            .fetch_one(&mut *w.tx)
            .await?;
        sqlx::query("INSERT INTO urgent_trainings (corrections_upto, corrections, trained_at, trained_by) VALUES ($1, $2, $3, $4)")
            .bind(upto)
            .bind(corrections)
            .bind(fmt_instant(at))
            .bind(by)
            .execute(&mut *w.tx)
            .await?;
        let latest = latest_training(&mut w).await?;
        w.commit().await?;
        Ok(latest)
    }

    /// The newest training of the urgent model, if any.
    pub async fn urgent_training(&self) -> Result<Option<UrgentTraining>> {
        let row = sqlx::query(LATEST_TRAINING).fetch_optional(&self.pool).await?;
        row.as_ref().map(training_row).transpose()
    }

    /// Petitions corrected since the newest training (not yet learnt).
    pub async fn untrained_corrections(&self) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(DISTINCT petition_id) FROM risk_corrections \
             WHERE id > COALESCE((SELECT MAX(corrections_upto) FROM urgent_trainings), 0)",
        )
        .fetch_one(&self.pool)
        .await?)
    }
}

const LATEST_TRAINING: &str =
    "SELECT id, corrections_upto, corrections, trained_at, trained_by FROM urgent_trainings ORDER BY id DESC LIMIT 1";

fn training_row(r: &sqlx::any::AnyRow) -> Result<UrgentTraining> {
    Ok(UrgentTraining {
        id: r.i("id")?,
        corrections_upto: r.i("corrections_upto")?,
        corrections: r.i("corrections")?,
        trained_at: r.s("trained_at")?,
        trained_by: r.oi("trained_by")?,
    })
}

async fn latest_training(w: &mut WriteTx<'_>) -> Result<Option<UrgentTraining>> {
    let row = sqlx::query(LATEST_TRAINING).fetch_optional(&mut *w.tx).await?;
    row.as_ref().map(training_row).transpose()
}

/// Alert `a` raised by hand for `unit`; None when that unit already has the
/// same one open (`risk_alerts_by_hand`).
async fn insert_by_hand(w: &mut WriteTx<'_>, a: &RaisedAlert, unit: i64, at: DateTime<Utc>) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO risk_alerts (petition_id, unit_id, level, signals, raised_at, raised_by, raise_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(a.petition_id)
    .bind(unit)
    .bind(a.alert.level.clone())
    .bind(a.alert.signals.clone())
    .bind(fmt_instant(at))
    .bind(a.raised_by)
    .bind(a.reason.clone())
    .fetch_optional(&mut *w.tx)
    .await?)
}

/// Whether alert `id` is a copy told to a unit other than the one that
/// found the danger: the unit that registered the petition for an alert
/// raised at registration, the raiser's unit for one raised by hand.
async fn is_copy(w: &mut WriteTx<'_>, id: i64) -> Result<bool> {
    let row = sqlx::query(
        "SELECT a.unit_id, CASE WHEN a.raised_by IS NULL THEN p.registered_unit_id \
         ELSE (SELECT u.unit_id FROM users u WHERE u.id = a.raised_by) END AS finder \
         FROM risk_alerts a JOIN petitions p ON p.id = a.petition_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *w.tx)
    .await?;
    let unit = row.i("unit_id")?;
    Ok(row.oi("finder")?.is_some_and(|f| f != unit))
}

async fn insert_correction(
    w: &mut WriteTx<'_>,
    petition_id: i64,
    alert_id: i64,
    urgent: bool,
    kind: Option<&str>,
    user_id: i64,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("INSERT INTO risk_corrections (petition_id, alert_id, urgent, kind, user_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(petition_id)
        .bind(alert_id)
        .bind(i64::from(urgent))
        .bind(kind.map(String::from))
        .bind(user_id)
        .bind(fmt_instant(at))
        .execute(&mut *w.tx)
        .await?;
    Ok(())
}

/// `Store::risk_alerts_of` on a connection already held.
pub(crate) async fn risk_alerts_of_on(c: &mut sqlx::AnyConnection, petition_id: i64) -> Result<Vec<RiskAlertRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM risk_alerts a JOIN petitions p ON p.id = a.petition_id WHERE a.petition_id = $1 ORDER BY a.id"
    )))
    .bind(petition_id)
    .fetch_all(c)
    .await?;
    rows.iter().map(row).collect()
}
