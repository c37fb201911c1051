//! Leaders and lawyers on duty (issue 14, item 4): the duty roster of a
//! unit (值班接访 by leaders, 律师参与接访 by lawyers), the lawyers'
//! roster and the visits each took part in, 下访 trips, and the spot
//! checks (抽查) of whether a duty day was held.

use crate::db::{Result, RowExt, Store, StoreError, fmt_instant};
use crate::petitions::EventDraft;
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use xinfang_domain::unit::UnitId;

#[derive(Debug, Clone)]
pub struct LawyerRow {
    pub id: i64,
    pub unit_id: UnitId,
    pub name: String,
    pub firm: String,
    pub licence_number: String,
    /// Encrypted.
    pub phone: String,
    pub active: bool,
}

/// A duty day: a leader (`kind` = `leader`, `person_id` a user) or a
/// lawyer (`lawyer`, `person_id` a lawyer of the roster) on duty at a
/// unit, with its spot check once made.
#[derive(Debug, Clone)]
pub struct DutyRow {
    pub id: i64,
    pub unit_id: UnitId,
    pub day: String,
    pub kind: String,
    pub person_id: i64,
    /// The leader's display name or the lawyer's name.
    pub person_name: String,
    /// The lawyer's firm (empty for a leader).
    pub firm: String,
    pub note: String,
    /// (held, note, checked by, checked at).
    pub check: Option<(bool, String, String, String)>,
}

/// A duty day taken off the roster: what was planned, who took it off, when.
#[derive(Debug, Clone)]
pub struct DutyRemovalRow {
    pub day: String,
    pub kind: String,
    pub person_name: String,
    pub note: String,
    pub removed_by: String,
    /// RFC 3339, UTC.
    pub removed_at: String,
}

#[derive(Debug, Clone)]
pub struct OutreachRow {
    pub id: i64,
    pub unit_id: UnitId,
    pub leader_id: i64,
    pub leader_name: String,
    pub day: String,
    pub place: String,
    pub purpose: String,
    pub result: Option<String>,
}

#[derive(Debug, Clone)]
pub struct LawyerVisitRow {
    pub number: String,
    pub title: String,
    pub day: String,
    pub advice: Option<String>,
    pub confidential: bool,
    /// The procedure state, for the viewer's access rules (sealed titles).
    pub case: xinfang_domain::procedure::Case,
}

/// A duty day `$1` of unit `$2` that may still come off the roster: after
/// today (`$3`) and not spot-checked (the removal's record and its delete
/// both say so, in one transaction).
const REMOVABLE: &str = "d.id = $1 AND d.unit_id = $2 AND d.day > $3 AND NOT EXISTS (SELECT 1 FROM duty_checks c WHERE c.duty_id = $1)";

const DUTY_SELECT: &str = "SELECT d.id, d.unit_id, d.day, d.kind, d.person_id, d.note, \
     COALESCE(u.display_name, l.name, '') AS person_name, COALESCE(l.firm, '') AS firm, \
     c.held, c.note AS check_note, cu.display_name AS checked_by, c.checked_at \
     FROM duty_days d LEFT JOIN users u ON d.kind = 'leader' AND u.id = d.person_id \
     LEFT JOIN duty_lawyers l ON d.kind = 'lawyer' AND l.id = d.person_id \
     LEFT JOIN duty_checks c ON c.duty_id = d.id LEFT JOIN users cu ON cu.id = c.checked_by";

fn duty_row(r: &sqlx::any::AnyRow) -> Result<DutyRow> {
    let held = r.oi("held")?;
    Ok(DutyRow {
        id: r.i("id")?,
        unit_id: r.i("unit_id")?,
        day: r.s("day")?,
        kind: r.s("kind")?,
        person_id: r.i("person_id")?,
        person_name: r.s("person_name")?,
        firm: r.s("firm")?,
        note: r.os("note")?.unwrap_or_default(),
        check: match held {
            Some(h) => Some((
                h != 0,
                r.os("check_note")?.unwrap_or_default(),
                r.os("checked_by")?.unwrap_or_default(),
                r.os("checked_at")?.unwrap_or_default(),
            )),
            None => None,
        },
    })
}

fn lawyer_row(r: &sqlx::any::AnyRow) -> Result<LawyerRow> {
    Ok(LawyerRow {
        id: r.i("id")?,
        unit_id: r.i("unit_id")?,
        name: r.s("name")?,
        firm: r.s("firm")?,
        licence_number: r.s("licence_number")?,
        phone: r.s("phone")?,
        active: r.i("active")? != 0,
    })
}

impl Store {
    /// Add a lawyer to a unit's roster (phone already encrypted).
    pub async fn add_lawyer(&self, unit: UnitId, name: &str, firm: &str, licence: &str, phone: &str) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO duty_lawyers (unit_id, name, firm, licence_number, phone, active, created_at) VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id",
        )
        .bind(unit)
        .bind(name.to_string())
        .bind(firm.to_string())
        .bind(licence.to_string())
        .bind(phone.to_string())
        .bind(fmt_instant(Utc::now()))
        .fetch_one(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(id)
    }

    pub async fn lawyers_of(&self, unit: UnitId) -> Result<Vec<LawyerRow>> {
        let rows =
            sqlx::query("SELECT id, unit_id, name, firm, licence_number, phone, active FROM duty_lawyers WHERE unit_id = $1 ORDER BY id")
                .bind(unit)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(lawyer_row).collect()
    }

    pub async fn lawyer(&self, id: i64) -> Result<Option<LawyerRow>> {
        let row = sqlx::query("SELECT id, unit_id, name, firm, licence_number, phone, active FROM duty_lawyers WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(lawyer_row).transpose()
    }

    /// Put someone on duty; None when the same person is on duty there that day already.
    pub async fn add_duty(&self, unit: UnitId, day: &str, kind: &str, person: i64, note: &str, by: i64) -> Result<Option<i64>> {
        let mut w = self.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO duty_days (unit_id, day, kind, person_id, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (unit_id, day, kind, person_id) DO NOTHING RETURNING id",
        )
        .bind(unit)
        .bind(day.to_string())
        .bind(kind.to_string())
        .bind(person)
        .bind(note.to_string())
        .bind(by)
        .bind(fmt_instant(Utc::now()))
        .fetch_optional(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// Take a duty day of `unit` off the roster: only one after `today`
    /// and not spot-checked (a day that has come is kept, held or missed).
    /// False when there is no such entry.
    pub async fn remove_duty(&self, id: i64, unit: UnitId, today: &str, by: i64, at: DateTime<Utc>) -> Result<bool> {
        let mut w = self.begin_write().await?;
        // What was planned is kept, with who took it off (the same
        // conditions as the delete, in the same transaction).
        let kept = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO duty_removals (duty_id, unit_id, day, kind, person_id, person_name, note, created_by, created_at, removed_by, removed_at) \
             SELECT d.id, d.unit_id, d.day, d.kind, d.person_id, COALESCE(u.display_name, l.name, ''), d.note, d.created_by, d.created_at, $4, $5 \
             FROM duty_days d LEFT JOIN users u ON d.kind = 'leader' AND u.id = d.person_id \
             LEFT JOIN duty_lawyers l ON d.kind = 'lawyer' AND l.id = d.person_id \
             WHERE {REMOVABLE} ON CONFLICT (duty_id) DO NOTHING"
        )))
        .bind(id)
        .bind(unit)
        .bind(today.to_string())
        .bind(by)
        .bind(fmt_instant(at))
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        // The delete repeats the conditions: a check recorded, or another
        // removal, between the two statements (PostgreSQL) leaves it alone,
        // and the transaction is dropped (rolled back) unless both hold.
        let removed = sqlx::query(AssertSqlSafe(format!("DELETE FROM duty_days AS d WHERE {REMOVABLE}")))
            .bind(id)
            .bind(unit)
            .bind(today.to_string())
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if kept != 1 || removed != 1 {
            return Ok(false);
        }
        w.commit().await?;
        Ok(true)
    }

    /// The duty days of `unit` between two days (inclusive) that were taken
    /// off the roster, newest removal first.
    pub async fn duty_removals(&self, unit: UnitId, from: &str, to: &str) -> Result<Vec<DutyRemovalRow>> {
        let rows = self
            .unit_days(
                "SELECT r.day, r.kind, r.person_name, r.note, r.removed_at, COALESCE(u.display_name, '') AS removed_by \
                 FROM duty_removals r LEFT JOIN users u ON u.id = r.removed_by \
                 WHERE r.unit_id = $1 AND r.day >= $2 AND r.day <= $3 ORDER BY r.removed_at DESC, r.duty_id DESC",
                unit,
                from,
                to,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DutyRemovalRow {
                    day: r.s("day")?,
                    kind: r.s("kind")?,
                    person_name: r.s("person_name")?,
                    note: r.os("note")?.unwrap_or_default(),
                    removed_by: r.s("removed_by")?,
                    removed_at: r.s("removed_at")?,
                })
            })
            .collect()
    }

    /// The duty days of `units` between two days (inclusive).
    pub async fn duty_days(&self, units: &[UnitId], from: &str, to: &str) -> Result<Vec<DutyRow>> {
        if units.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{DUTY_SELECT} WHERE d.day >= $1 AND d.day <= $2 AND d.unit_id IN ({}) ORDER BY d.day, d.unit_id, d.kind, d.id",
            crate::db::int_list(units)
        );
        let q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(from.to_string()).bind(to.to_string());
        q.fetch_all(&self.pool).await?.iter().map(duty_row).collect()
    }

    /// A leader's own duty days (at any unit) between two days (inclusive).
    pub async fn duties_of_leader(&self, user: i64, from: &str, to: &str) -> Result<Vec<DutyRow>> {
        let sql =
            format!("{DUTY_SELECT} WHERE d.kind = 'leader' AND d.person_id = $1 AND d.day >= $2 AND d.day <= $3 ORDER BY d.day, d.id");
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user).bind(from.to_string()).bind(to.to_string()).fetch_all(&self.pool).await?;
        rows.iter().map(duty_row).collect()
    }

    pub async fn duty_day(&self, id: i64) -> Result<Option<DutyRow>> {
        let sql = format!("{DUTY_SELECT} WHERE d.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(duty_row).transpose()
    }

    /// Duty days of `units` spot-checked as not held.
    pub async fn missed_duties(&self, units: &[UnitId]) -> Result<Vec<DutyRow>> {
        if units.is_empty() {
            return Ok(Vec::new());
        }
        // The days found not held are few in any deployment, and a
        // province's dashboard names thousands of units: read them all
        // (the index of checks by `held`) and keep the units' here, rather
        // than bind the units into the statement (SQLite looks each bound
        // parameter's name up in a list: quadratic in their number).
        let wanted: std::collections::HashSet<UnitId> = units.iter().copied().collect();
        let sql = format!("{DUTY_SELECT} WHERE c.held = 0");
        let mut out = Vec::new();
        for r in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&self.pool).await? {
            let row = duty_row(&r)?;
            if wanted.contains(&row.unit_id) {
                out.push(row);
            }
        }
        out.sort_by(|a: &DutyRow, b: &DutyRow| b.day.cmp(&a.day).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Record the spot check of a duty day (once); false if checked
    /// already. `over_own`: the checker's unit is above the duty's unit, so
    /// its check replaces one the duty's own unit recorded (a unit marking
    /// its own missed day "held" must not shut out its superior's check);
    /// a superior's check is never replaced.
    pub async fn check_duty(&self, duty: i64, held: bool, note: &str, by: i64, over_own: bool) -> Result<bool> {
        let now = fmt_instant(Utc::now());
        let mut w = self.begin_write().await?;
        let mut n = sqlx::query(
            "INSERT INTO duty_checks (duty_id, held, note, checked_by, checked_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (duty_id) DO NOTHING",
        )
        .bind(duty)
        .bind(i64::from(held))
        .bind(note.to_string())
        .bind(by)
        .bind(now.clone())
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 && over_own {
            n = sqlx::query(
                "UPDATE duty_checks SET held = $2, note = $3, checked_by = $4, checked_at = $5 WHERE duty_id = $1 \
                 AND checked_by IN (SELECT u.id FROM users u JOIN duty_days d ON d.unit_id = u.unit_id WHERE d.id = $1)",
            )
            .bind(duty)
            .bind(i64::from(held))
            .bind(note.to_string())
            .bind(by)
            .bind(now)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        }
        w.commit().await?;
        Ok(n == 1)
    }

    /// The lawyers on duty at `unit` on `day`.
    pub async fn lawyers_on_duty(&self, unit: UnitId, day: &str) -> Result<Vec<LawyerRow>> {
        let rows = sqlx::query(
            "SELECT l.id, l.unit_id, l.name, l.firm, l.licence_number, l.phone, l.active FROM duty_days d JOIN duty_lawyers l ON l.id = d.person_id \
             WHERE d.kind = 'lawyer' AND d.unit_id = $1 AND d.day = $2 ORDER BY l.id",
        )
        .bind(unit)
        .bind(day.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(lawyer_row).collect()
    }

    /// Record a lawyer on a visit (petition) with the event on its
    /// history, in one transaction; advice given later updates the row.
    /// False when the lawyer was recorded on it already and no advice is added.
    pub async fn record_lawyer_visit(
        &self,
        lawyer: i64,
        petition_id: i64,
        day: &str,
        advice: Option<&str>,
        by: Option<i64>,
        event: &EventDraft,
    ) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let now = fmt_instant(Utc::now());
        let n = sqlx::query(
            "INSERT INTO lawyer_visits (lawyer_id, petition_id, day, advice, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (lawyer_id, petition_id) DO NOTHING",
        )
        .bind(lawyer)
        .bind(petition_id)
        .bind(day.to_string())
        .bind(advice.map(String::from))
        .bind(by)
        .bind(now.clone())
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            let Some(advice) = advice else { return Ok(false) };
            sqlx::query(
                "UPDATE lawyer_visits SET advice = $1, recorded_by = $2, recorded_at = $3 WHERE lawyer_id = $4 AND petition_id = $5",
            )
            .bind(advice.to_string())
            .bind(by)
            .bind(now)
            .bind(lawyer)
            .bind(petition_id)
            .execute(&mut *w.tx)
            .await?;
        }
        self.insert_event(&mut w, petition_id, event).await?;
        w.commit().await?;
        Ok(true)
    }

    /// The visits a lawyer took part in.
    pub async fn lawyer_visits(&self, lawyer: i64) -> Result<Vec<LawyerVisitRow>> {
        let rows = sqlx::query(
            "SELECT p.number, p.title, p.confidential, p.case_json, v.day, v.advice FROM lawyer_visits v JOIN petitions p ON p.id = v.petition_id WHERE v.lawyer_id = $1 ORDER BY v.day, p.number",
        )
        .bind(lawyer)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LawyerVisitRow {
                    number: r.s("number")?,
                    title: r.s("title")?,
                    day: r.s("day")?,
                    advice: r.os("advice")?,
                    confidential: r.b("confidential")?,
                    case: serde_json::from_str(&r.s("case_json")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }

    pub async fn add_outreach(&self, unit: UnitId, leader: i64, day: &str, place: &str, purpose: &str, by: i64) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO outreach_visits (unit_id, leader_id, day, place, purpose, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(unit)
        .bind(leader)
        .bind(day.to_string())
        .bind(place.to_string())
        .bind(purpose.to_string())
        .bind(by)
        .bind(fmt_instant(Utc::now()))
        .fetch_one(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(id)
    }

    /// Record a trip's result (once); false if it is not the unit's or has one.
    pub async fn outreach_result(&self, id: i64, unit: UnitId, result: &str) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query("UPDATE outreach_visits SET result = $1, result_at = $2 WHERE id = $3 AND unit_id = $4 AND result IS NULL")
            .bind(result.to_string())
            .bind(fmt_instant(Utc::now()))
            .bind(id)
            .bind(unit)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }

    /// The rows of `sql`, a statement over one unit's (`$1`) days from `$2`
    /// to `$3` inclusive.
    async fn unit_days(&self, sql: &'static str, unit: UnitId, from: &str, to: &str) -> Result<Vec<sqlx::any::AnyRow>> {
        Ok(sqlx::query(sql).bind(unit).bind(from.to_string()).bind(to.to_string()).fetch_all(&self.pool).await?)
    }

    pub async fn outreach_of(&self, unit: UnitId, from: &str, to: &str) -> Result<Vec<OutreachRow>> {
        let rows = self
            .unit_days(
                "SELECT o.id, o.unit_id, o.leader_id, u.display_name, o.day, o.place, o.purpose, o.result FROM outreach_visits o JOIN users u ON u.id = o.leader_id \
                 WHERE o.unit_id = $1 AND o.day >= $2 AND o.day <= $3 ORDER BY o.day, o.id",
                unit,
                from,
                to,
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(OutreachRow {
                    id: r.i("id")?,
                    unit_id: r.i("unit_id")?,
                    leader_id: r.i("leader_id")?,
                    leader_name: r.s("display_name")?,
                    day: r.s("day")?,
                    place: r.s("place")?,
                    purpose: r.s("purpose")?,
                    result: r.os("result")?,
                })
            })
            .collect()
    }
}
