//! What notices need to find their receivers (issue 11): staff contact
//! details (encrypted by the caller, like petitioners' data), message
//! templates an admin edited, and the open duty timers due on given days.

use crate::db::{Result, RowExt, Store, fmt_date, fmt_instant, parse_date};
use chrono::{NaiveDate, Utc};
use xinfang_domain::unit::UnitId;

/// A member of staff a notice can reach.
#[derive(Debug, Clone)]
pub struct StaffContact {
    pub user_id: i64,
    pub display_name: String,
    pub role: String,
    pub unit_id: UnitId,
    /// Ciphertexts (the caller decrypts).
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// An open duty timer, with the unit that holds the petition now.
#[derive(Debug, Clone)]
pub struct DueTimer {
    pub petition_id: i64,
    pub number: String,
    pub unit_id: UnitId,
    pub kind: String,
    pub due_on: NaiveDate,
}

impl Store {
    /// Set a user's e-mail and phone (ciphertexts, or None to clear).
    pub async fn set_user_contact(&self, user_id: i64, email: Option<&str>, phone: Option<&str>) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE users SET email = $1, phone = $2 WHERE id = $3")
            .bind(email.map(String::from))
            .bind(phone.map(String::from))
            .bind(user_id)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    /// A user's contact ciphertexts (email, phone).
    pub async fn user_contact(&self, user_id: i64) -> Result<(Option<String>, Option<String>)> {
        let row = sqlx::query("SELECT email, phone FROM users WHERE id = $1").bind(user_id).fetch_optional(&self.pool).await?;
        match row {
            Some(r) => Ok((r.os("email")?, r.os("phone")?)),
            None => Ok((None, None)),
        }
    }

    /// Active staff of the given units who have an e-mail or a phone.
    pub async fn unit_contacts(&self, units: &[UnitId]) -> Result<Vec<StaffContact>> {
        if units.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=units.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, display_name, role, unit_id, email, phone FROM users WHERE active = 1 AND (email IS NOT NULL OR phone IS NOT NULL) AND unit_id IN ({}) ORDER BY id",
            marks.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for u in units {
            q = q.bind(*u);
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(StaffContact {
                    user_id: r.i("id")?,
                    display_name: r.s("display_name")?,
                    role: r.s("role")?,
                    unit_id: r.i("unit_id")?,
                    email: r.os("email")?,
                    phone: r.os("phone")?,
                })
            })
            .collect()
    }

    /// Open timers due on any of `days`, with the unit now holding each
    /// petition (served by the partial index on open deadlines).
    pub async fn timers_due_on(&self, days: &[NaiveDate]) -> Result<Vec<DueTimer>> {
        if days.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=days.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT d.petition_id, p.number, p.current_unit_id, d.kind, d.due_on FROM deadlines d JOIN petitions p ON p.id = d.petition_id \
             WHERE d.met_at IS NULL AND d.due_on IN ({}) ORDER BY d.due_on, p.number",
            marks.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for d in days {
            q = q.bind(fmt_date(*d));
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(DueTimer {
                    petition_id: r.i("petition_id")?,
                    number: r.s("number")?,
                    unit_id: r.i("current_unit_id")?,
                    kind: r.s("kind")?,
                    due_on: parse_date(&r.s("due_on")?)?,
                })
            })
            .collect()
    }

    /// An admin's version of template `name`: (subject, body).
    pub async fn message_template(&self, name: &str) -> Result<Option<(String, String)>> {
        let row = sqlx::query("SELECT subject, body FROM message_templates WHERE name = $1")
            .bind(name.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok((r.s("subject")?, r.s("body")?))).transpose()
    }

    /// Save (or, with None, drop back to the built-in) template `name`.
    pub async fn set_message_template(&self, name: &str, text: Option<(&str, &str)>, by: i64) -> Result<()> {
        let mut w = self.begin_write().await?;
        match text {
            Some((subject, body)) => {
                sqlx::query(
                    "INSERT INTO message_templates (name, subject, body, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (name) DO UPDATE SET subject = excluded.subject, body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                )
                .bind(name.to_string())
                .bind(subject.to_string())
                .bind(body.to_string())
                .bind(fmt_instant(Utc::now()))
                .bind(by)
                .execute(&mut *w.tx)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM message_templates WHERE name = $1").bind(name.to_string()).execute(&mut *w.tx).await?;
            }
        }
        w.commit().await
    }
}
