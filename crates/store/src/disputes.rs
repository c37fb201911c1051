//! The dispute screening ledger (issue 14, item 1; rules in
//! `domain::dispute`): disputes with their sealed parties, everything done
//! to each, the villages' screening reports and the grass roots' rules.
//! Every change to a dispute is one transaction with its record, guarded
//! by the dispute's version.

use crate::db::{Arg, Result, RowExt, Sql, Store, StoreError, fmt_instant};
use chrono::{DateTime, Utc};
use xinfang_domain::unit::UnitId;

/// What became of a "nothing found" report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NothingFound {
    Reported,
    /// The round already has the village's report.
    AlreadyReported,
    /// The village recorded this many disputes in the round.
    DisputesRecorded(i64),
}

/// A dispute to record.
#[derive(Debug, Clone)]
pub struct NewDispute {
    pub village_unit_id: UnitId,
    pub village_code: String,
    pub kind: String,
    pub risk: String,
    pub place: String,
    pub summary: String,
    pub people: i64,
    /// The parties, sealed (JSON).
    pub parties: String,
    pub mediator_user_id: Option<i64>,
    pub target_on: String,
    pub recorded_by: i64,
    pub recorded_on: String,
}

#[derive(Debug, Clone)]
pub struct DisputeRow {
    pub id: i64,
    pub village_unit_id: UnitId,
    pub village_code: String,
    pub handling_unit_id: UnitId,
    pub kind: String,
    pub risk: String,
    pub place: String,
    pub summary: String,
    pub people: i64,
    pub parties: String,
    pub mediator_user_id: Option<i64>,
    pub mediator_name: Option<String>,
    pub target_on: String,
    pub state: String,
    pub recorded_by: i64,
    pub recorded_on: String,
    pub recorded_at: String,
    pub closed_at: Option<String>,
    pub outcome: Option<String>,
    pub agreement_document_id: Option<i64>,
    pub petition_number: Option<String>,
    pub version: i64,
}

#[derive(Debug, Clone)]
pub struct DisputeRecordRow {
    pub id: i64,
    pub kind: String,
    pub at: String,
    pub user_id: i64,
    pub user_name: String,
    pub unit_id: UnitId,
    pub body: String,
}

/// What an act changes on a dispute (None: unchanged), and the record it
/// leaves.
#[derive(Debug, Clone, Default)]
pub struct DisputeChange {
    pub handling_unit_id: Option<UnitId>,
    pub mediator_user_id: Option<i64>,
    pub target_on: Option<String>,
    pub state: Option<String>,
    pub outcome: Option<String>,
    pub petition_number: Option<String>,
    /// A 调解协议书 to issue with the act (a unit letter of the holder).
    pub agreement: Option<crate::ranking::NewUnitLetter>,
    /// The record: kind and JSON body.
    pub record: (String, String),
}

/// Filters of a ledger list.
#[derive(Debug, Clone, Default)]
pub struct DisputeFilter {
    /// Division code prefix: a village's 12 digits, a township's 9, a
    /// county's 6; None: no area (only what `or_held_by` holds).
    pub area: Option<String>,
    pub state: Option<String>,
    /// Open past its target date on this day (YYYY-MM-DD).
    pub overdue_on: Option<String>,
    pub kind: Option<String>,
    /// Some(true): only those escalated (上报) from their village to a
    /// township or county unit; Some(false): only those still held by it.
    pub escalated: Option<bool>,
    /// Also disputes held by this unit whatever their area (escalated to it).
    pub or_held_by: Option<UnitId>,
    /// Keyset: ids below this one.
    pub before_id: Option<i64>,
    pub limit: i64,
}

const COLUMNS: &str = "d.id, d.village_unit_id, d.village_code, d.handling_unit_id, d.kind, d.risk, d.place, d.summary, d.people, \
     d.parties, d.mediator_user_id, m.display_name AS mediator_name, d.target_on, d.state, d.recorded_by, d.recorded_on, d.recorded_at, \
     d.closed_at, d.outcome, d.agreement_document_id, d.petition_number, d.version";

fn row(r: &sqlx::any::AnyRow) -> Result<DisputeRow> {
    Ok(DisputeRow {
        id: r.i("id")?,
        village_unit_id: r.i("village_unit_id")?,
        village_code: r.s("village_code")?,
        handling_unit_id: r.i("handling_unit_id")?,
        kind: r.s("kind")?,
        risk: r.s("risk")?,
        place: r.s("place")?,
        summary: r.s("summary")?,
        people: r.i("people")?,
        parties: r.s("parties")?,
        mediator_user_id: r.oi("mediator_user_id")?,
        mediator_name: r.os("mediator_name")?,
        target_on: r.s("target_on")?,
        state: r.s("state")?,
        recorded_by: r.i("recorded_by")?,
        recorded_on: r.s("recorded_on")?,
        recorded_at: r.s("recorded_at")?,
        closed_at: r.os("closed_at")?,
        outcome: r.os("outcome")?,
        agreement_document_id: r.oi("agreement_document_id")?,
        petition_number: r.os("petition_number")?,
        version: r.i("version")?,
    })
}

/// The first code after every code starting with `prefix` (a division
/// code, digits only): the prefix with its last digit raised, carrying —
/// `prefix <= code < next` is an index range on both engines, where LIKE
/// is not on SQLite. Only digits: PostgreSQL's locale collations ignore
/// punctuation and control characters when sorting, digits never.
pub(crate) fn prefix_end(prefix: &str) -> String {
    let mut digits: Vec<u8> = prefix.bytes().collect();
    while let Some(last) = digits.pop() {
        if last.is_ascii_digit() && last < b'9' {
            digits.push(last + 1);
            return String::from_utf8(digits).unwrap_or_default();
        }
        if !last.is_ascii_digit() {
            break;
        }
    }
    // All nines (or not a code): nothing sorts after it among codes that
    // start with a digit up to 9…, so the bound is the next first digit.
    ":".into()
}

impl Store {
    /// Record a dispute held by its village; its first record says who
    /// recorded it.
    pub async fn insert_dispute(&self, d: &NewDispute, record_body: &str, at: DateTime<Utc>) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO disputes (village_unit_id, village_code, handling_unit_id, kind, risk, place, summary, people, parties, \
             mediator_user_id, target_on, state, recorded_by, recorded_on, recorded_at, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'open', $12, $13, $14, 1) RETURNING id",
        )
        .bind(d.village_unit_id)
        .bind(d.village_code.clone())
        .bind(d.village_unit_id)
        .bind(d.kind.clone())
        .bind(d.risk.clone())
        .bind(d.place.clone())
        .bind(d.summary.clone())
        .bind(d.people)
        .bind(d.parties.clone())
        .bind(d.mediator_user_id)
        .bind(d.target_on.clone())
        .bind(d.recorded_by)
        .bind(d.recorded_on.clone())
        .bind(fmt_instant(at))
        .fetch_one(&mut *w.tx)
        .await?;
        insert_record(&mut w, id, "recorded", at, d.recorded_by, d.village_unit_id, record_body).await?;
        w.commit().await?;
        Ok(id)
    }

    pub async fn dispute(&self, id: i64) -> Result<Option<DisputeRow>> {
        let r = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM disputes d LEFT JOIN users m ON m.id = d.mediator_user_id WHERE d.id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        r.as_ref().map(row).transpose()
    }

    /// The dispute a petition was turned from, if any: its id and the day
    /// it was recorded.
    pub async fn dispute_of_petition(&self, number: &str) -> Result<Option<(i64, String)>> {
        dispute_of_petition_on(&mut *self.pool.acquire().await?, number).await
    }

    pub async fn dispute_records(&self, id: i64) -> Result<Vec<DisputeRecordRow>> {
        let rows = sqlx::query(
            "SELECT r.id, r.kind, r.at, r.user_id, COALESCE(u.display_name, '') AS user_name, r.unit_id, r.body \
             FROM dispute_records r LEFT JOIN users u ON u.id = r.user_id WHERE r.dispute_id = $1 ORDER BY r.id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DisputeRecordRow {
                    id: r.i("id")?,
                    kind: r.s("kind")?,
                    at: r.s("at")?,
                    user_id: r.i("user_id")?,
                    user_name: r.s("user_name")?,
                    unit_id: r.i("unit_id")?,
                    body: r.s("body")?,
                })
            })
            .collect()
    }

    /// A page of the ledger, newest first.
    pub async fn disputes(&self, f: &DisputeFilter) -> Result<Vec<DisputeRow>> {
        let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM disputes d LEFT JOIN users m ON m.id = d.mediator_user_id WHERE ("));
        match (&f.area, f.or_held_by) {
            (Some(area), held) => {
                sql.push("(d.village_code >= ").bind(Arg::S(area.clone())).push(" AND d.village_code < ").bind(Arg::S(prefix_end(area)));
                sql.push(")");
                if let Some(u) = held {
                    sql.push(" OR d.handling_unit_id = ").bind(Arg::I(u));
                }
            }
            (None, Some(u)) => {
                sql.push("d.handling_unit_id = ").bind(Arg::I(u));
            }
            (None, None) => {
                sql.push("1 = 0");
            }
        }
        sql.push(")");
        if let Some(s) = &f.state {
            sql.push(" AND d.state = ").bind(Arg::S(s.clone()));
        }
        if let Some(on) = &f.overdue_on {
            sql.push(" AND d.state = 'open' AND d.target_on < ").bind(Arg::S(on.clone()));
        }
        if let Some(k) = &f.kind {
            sql.push(" AND d.kind = ").bind(Arg::S(k.clone()));
        }
        if let Some(up) = f.escalated {
            sql.push(if up { " AND d.handling_unit_id <> d.village_unit_id" } else { " AND d.handling_unit_id = d.village_unit_id" });
        }
        if let Some(b) = f.before_id {
            sql.push(" AND d.id < ").bind(Arg::I(b));
        }
        sql.push(" ORDER BY d.id DESC LIMIT ").bind(Arg::I(f.limit));
        sql.query().fetch_all(&self.pool).await?.iter().map(row).collect()
    }

    /// Apply an act to a dispute at `version`; `Conflict` when another act
    /// came first. Returns the agreement letter's id when one was issued.
    pub async fn change_dispute(
        &self,
        id: i64,
        version: i64,
        c: &DisputeChange,
        user_id: i64,
        unit_id: UnitId,
        at: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let mut w = self.begin_write().await?;
        let agreement = match &c.agreement {
            Some(l) => Some(crate::ranking::insert_unit_letter_in(self, &mut w, l, &format!("dispute:{id}")).await?.0),
            None => None,
        };
        let mut sql = Sql::new("UPDATE disputes SET version = version + 1");
        if let Some(u) = c.handling_unit_id {
            sql.push(", handling_unit_id = ").bind(Arg::I(u));
        }
        if let Some(m) = c.mediator_user_id {
            sql.push(", mediator_user_id = ").bind(Arg::I(m));
        }
        if let Some(t) = &c.target_on {
            sql.push(", target_on = ").bind(Arg::S(t.clone()));
        }
        if let Some(s) = &c.state {
            sql.push(", state = ").bind(Arg::S(s.clone()));
            if s != "open" {
                sql.push(", closed_at = ").bind(Arg::S(fmt_instant(at)));
            }
        }
        if let Some(o) = &c.outcome {
            sql.push(", outcome = ").bind(Arg::S(o.clone()));
        }
        if let Some(p) = &c.petition_number {
            sql.push(", petition_number = ").bind(Arg::S(p.clone()));
        }
        if let Some(a) = agreement {
            sql.push(", agreement_document_id = ").bind(Arg::I(a));
        }
        sql.push(" WHERE id = ").bind(Arg::I(id)).push(" AND version = ").bind(Arg::I(version));
        if sql.query().execute(&mut *w.tx).await?.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        insert_record(&mut w, id, &c.record.0, at, user_id, unit_id, &c.record.1).await?;
        w.commit().await?;
        Ok(agreement)
    }

    /// Link a dispute to the petition made from it, if it is still open and
    /// unlinked (false otherwise), with its record.
    pub async fn link_dispute_petition(&self, id: i64, number: &str, user_id: i64, unit_id: UnitId, at: DateTime<Utc>) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE disputes SET petition_number = $1, state = 'petitioned', closed_at = $2, version = version + 1 \
             WHERE id = $3 AND state = 'open' AND petition_number IS NULL",
        )
        .bind(number.to_string())
        .bind(fmt_instant(at))
        .bind(id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 1 {
            insert_record(&mut w, id, "petitioned", at, user_id, unit_id, &serde_json::json!({"number": number}).to_string()).await?;
        }
        w.commit().await?;
        Ok(n == 1)
    }

    /// Record that a user read a dispute's parties unmasked, with the reason.
    pub async fn log_dispute_access(&self, dispute: i64, user_id: i64, unit_id: UnitId, reason: &str, at: DateTime<Utc>) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("INSERT INTO dispute_access_log (dispute_id, user_id, unit_id, at, reason) VALUES ($1, $2, $3, $4, $5)")
            .bind(dispute)
            .bind(user_id)
            .bind(unit_id)
            .bind(fmt_instant(at))
            .bind(reason.to_string())
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// Who read a dispute's parties unmasked: (at, user's name, reason), oldest first.
    pub async fn dispute_access(&self, dispute: i64) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT l.at, COALESCE(u.display_name, '') AS name, l.reason FROM dispute_access_log l LEFT JOIN users u ON u.id = l.user_id \
             WHERE l.dispute_id = $1 ORDER BY l.id",
        )
        .bind(dispute)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.s("at")?, r.s("name")?, r.s("reason")?))).collect()
    }

    /// A village's "nothing found" report for a round; false when the
    /// village already reported the round.
    /// Record a "nothing found" report for the village's round (the days
    /// `from`..=`to`, inclusive). Refused, writing nothing, when the village
    /// has recorded a dispute in the round: the report would contradict the
    /// ledger. The count is read in the report's own write transaction.
    pub async fn report_nothing_found(
        &self,
        village: UnitId,
        period: &str,
        (from, to): (&str, &str),
        user_id: i64,
        note: &str,
        at: DateTime<Utc>,
    ) -> Result<NothingFound> {
        let mut w = self.begin_write().await?;
        let recorded: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM disputes WHERE village_unit_id = $1 AND recorded_on >= $2 AND recorded_on <= $3")
                .bind(village)
                .bind(from.to_string())
                .bind(to.to_string())
                .fetch_one(&mut *w.tx)
                .await?;
        if recorded > 0 {
            return Ok(NothingFound::DisputesRecorded(recorded));
        }
        let n = sqlx::query(
            "INSERT INTO screening_reports (village_unit_id, period, reported_by, reported_at, note) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (village_unit_id, period) DO NOTHING",
        )
        .bind(village)
        .bind(period.to_string())
        .bind(user_id)
        .bind(fmt_instant(at))
        .bind(note.to_string())
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(if n == 1 { NothingFound::Reported } else { NothingFound::AlreadyReported })
    }

    /// For a round: the disputes each village of `area` recorded between
    /// the two days (inclusive), and the villages that reported finding
    /// none. Two grouped reads.
    pub async fn screening_round(&self, area: &str, period: &str, from: &str, to: &str) -> Result<(Vec<(UnitId, i64)>, Vec<UnitId>)> {
        let counts = sqlx::query(
            "SELECT village_unit_id, COUNT(*) AS n FROM disputes WHERE village_code >= $1 AND village_code < $2 \
             AND recorded_on >= $3 AND recorded_on <= $4 GROUP BY village_unit_id",
        )
        .bind(area.to_string())
        .bind(prefix_end(area))
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| Ok((r.i("village_unit_id")?, r.i("n")?)))
        .collect::<Result<Vec<_>>>()?;
        let nothing: Vec<i64> = sqlx::query_scalar("SELECT village_unit_id FROM screening_reports WHERE period = $1")
            .bind(period.to_string())
            .fetch_all(&self.pool)
            .await?;
        Ok((counts, nothing))
    }

    /// The grass roots' rules as the admin last saved them (JSON).
    pub async fn grassroots_rules(&self) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT body FROM grassroots_rules WHERE id = 1").fetch_optional(&self.pool).await?)
    }

    pub async fn put_grassroots_rules(&self, body: &str, user_id: i64, at: DateTime<Utc>) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO grassroots_rules (id, body, updated_at, updated_by) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(body.to_string())
        .bind(fmt_instant(at))
        .bind(user_id)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(())
    }
}

async fn insert_record(
    w: &mut crate::WriteTx<'_>,
    dispute: i64,
    kind: &str,
    at: DateTime<Utc>,
    user: i64,
    unit: UnitId,
    body: &str,
) -> Result<()> {
    sqlx::query("INSERT INTO dispute_records (dispute_id, kind, at, user_id, unit_id, body) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(dispute)
        .bind(kind.to_string())
        .bind(fmt_instant(at))
        .bind(user)
        .bind(unit)
        .bind(body.to_string())
        .execute(&mut *w.tx)
        .await?;
    Ok(())
}

/// `Store::dispute_of_petition` on a connection already held.
pub(crate) async fn dispute_of_petition_on(c: &mut sqlx::AnyConnection, number: &str) -> Result<Option<(i64, String)>> {
    let r =
        sqlx::query("SELECT id, recorded_on FROM disputes WHERE petition_number = $1").bind(number.to_string()).fetch_optional(c).await?;
    r.map(|r| Ok((r.i("id")?, r.s("recorded_on")?))).transpose()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_end_of_a_prefix_is_the_next_code_of_its_length() {
        assert_eq!(super::prefix_end("440304"), "440305");
        assert_eq!(super::prefix_end("440309"), "44031");
        assert_eq!(super::prefix_end("4403049"), "440305");
        assert!("440304001019" < super::prefix_end("440304").as_str());
        assert!("440305" >= super::prefix_end("440304").as_str());
    }
}
