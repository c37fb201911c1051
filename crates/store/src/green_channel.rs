//! The wage-arrears green channel (issue 14, item 5; rules in
//! `domain::green_channel`): the flag written with the petition, the
//! clerk's confirmation, the first contact with the employer, what was
//! recovered, and the lane's list with its totals.

use crate::db::{Arg, Result, RowExt, Sql, Store, StoreError, WriteTx, fmt_instant};
use chrono::{DateTime, Utc};

/// A petition entering the lane.
#[derive(Debug, Clone)]
pub struct NewGreenChannel {
    /// `flagged` (by the rules) or `confirmed` (by a clerk).
    pub state: String,
    /// What recognised it (JSON list of words).
    pub words: String,
    pub migrant: bool,
    pub amount_claimed: Option<i64>,
    pub workers: Option<i64>,
    pub received_on: String,
    /// First contact with the employer by this day.
    pub contact_due: String,
}

#[derive(Debug, Clone)]
pub struct GreenRow {
    pub petition_id: i64,
    pub number: String,
    pub title: String,
    pub current_unit_id: i64,
    pub state: String,
    pub words: String,
    pub migrant: bool,
    pub amount_claimed: Option<i64>,
    pub workers: Option<i64>,
    pub received_on: String,
    pub contact_due: String,
    pub contacted_at: Option<String>,
    pub contact_note: Option<String>,
    pub amount_recovered: Option<i64>,
    pub workers_paid: Option<i64>,
    /// Why the totals pass the claim or went down, when they did.
    pub recovery_note: Option<String>,
    pub confidential: bool,
    /// The procedure state, for the viewer's access rules (sealed titles).
    pub case: xinfang_domain::procedure::Case,
}

/// The lane's list: which rows.
#[derive(Debug, Clone, Default)]
pub struct GreenFilter {
    /// Received on or after / on or before (YYYY-MM-DD).
    pub from: Option<String>,
    pub to: Option<String>,
    /// First contact not made and its day passed (before this day).
    pub contact_overdue_on: Option<String>,
    /// Include those a clerk took out of the lane.
    pub with_rejected: bool,
    pub limit: i64,
}

const COLUMNS: &str = "g.petition_id, p.number, p.title, p.current_unit_id, g.state, g.words, g.migrant, g.amount_claimed, g.workers, \
     g.received_on, g.contact_due, g.contacted_at, g.contact_note, g.amount_recovered, g.workers_paid, g.recovery_note, p.confidential, p.case_json";

fn row(r: &sqlx::any::AnyRow) -> Result<GreenRow> {
    Ok(GreenRow {
        petition_id: r.i("petition_id")?,
        number: r.s("number")?,
        title: r.s("title")?,
        current_unit_id: r.i("current_unit_id")?,
        state: r.s("state")?,
        words: r.s("words")?,
        migrant: r.i("migrant")? != 0,
        amount_claimed: r.oi("amount_claimed")?,
        workers: r.oi("workers")?,
        received_on: r.s("received_on")?,
        contact_due: r.s("contact_due")?,
        contacted_at: r.os("contacted_at")?,
        contact_note: r.os("contact_note")?,
        amount_recovered: r.oi("amount_recovered")?,
        workers_paid: r.oi("workers_paid")?,
        recovery_note: r.os("recovery_note")?,
        confidential: r.b("confidential")?,
        case: serde_json::from_str(&r.s("case_json")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

pub(crate) async fn insert(w: &mut WriteTx<'_>, petition_id: i64, g: &NewGreenChannel, at: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "INSERT INTO green_channel (petition_id, state, words, migrant, amount_claimed, workers, received_on, contact_due, flagged_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(petition_id)
    .bind(g.state.clone())
    .bind(g.words.clone())
    .bind(i64::from(g.migrant))
    .bind(g.amount_claimed)
    .bind(g.workers)
    .bind(g.received_on.clone())
    .bind(g.contact_due.clone())
    .bind(fmt_instant(at))
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

impl Store {
    pub async fn green_channel_of(&self, petition_id: i64) -> Result<Option<GreenRow>> {
        green_channel_of_on(&mut *self.pool.acquire().await?, petition_id).await
    }

    /// A clerk puts a petition in the lane (`confirmed`) or takes it out
    /// (`rejected`); a petition the rules missed enters with `new`.
    pub async fn set_green_channel(
        &self,
        petition_id: i64,
        state: &str,
        new: Option<&NewGreenChannel>,
        user_id: i64,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query("UPDATE green_channel SET state = $1, updated_at = $2, updated_by = $3 WHERE petition_id = $4")
            .bind(state.to_string())
            .bind(fmt_instant(at))
            .bind(user_id)
            .bind(petition_id)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        if n == 0
            && let Some(g) = new
        {
            insert(&mut w, petition_id, &NewGreenChannel { state: state.to_string(), ..g.clone() }, at).await?;
            sqlx::query("UPDATE green_channel SET updated_by = $1 WHERE petition_id = $2")
                .bind(user_id)
                .bind(petition_id)
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await?;
        Ok(())
    }

    /// A clerk's correction of what the rules read as claimed.
    pub async fn correct_green_claim(&self, petition_id: i64, amount: Option<i64>, workers: Option<i64>) -> Result<()> {
        let mut w = self.begin_write().await?;
        if let Some(a) = amount {
            sqlx::query("UPDATE green_channel SET amount_claimed = $1 WHERE petition_id = $2")
                .bind(a)
                .bind(petition_id)
                .execute(&mut *w.tx)
                .await?;
        }
        if let Some(n) = workers {
            sqlx::query("UPDATE green_channel SET workers = $1 WHERE petition_id = $2")
                .bind(n)
                .bind(petition_id)
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await?;
        Ok(())
    }

    /// The first contact with the employer (once; false if already made).
    pub async fn record_green_contact(&self, petition_id: i64, note: &str, user_id: i64, at: DateTime<Utc>) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE green_channel SET contacted_at = $1, contact_note = $2, updated_at = $1, updated_by = $3 WHERE petition_id = $4 AND contacted_at IS NULL",
        )
        .bind(fmt_instant(at))
        .bind(note.to_string())
        .bind(user_id)
        .bind(petition_id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }

    /// What has been recovered so far (the running totals, replaced).
    /// Keep the running totals of a recovery, with the note that explains
    /// them when they needed one (kept until the next note replaces it).
    pub async fn record_green_recovery(
        &self,
        petition_id: i64,
        amount: i64,
        workers: i64,
        note: Option<&str>,
        user_id: i64,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "UPDATE green_channel SET amount_recovered = $1, workers_paid = $2, recovery_note = COALESCE($3, recovery_note), \
             updated_at = $4, updated_by = $5 WHERE petition_id = $6",
        )
        .bind(amount)
        .bind(workers)
        .bind(note.map(str::to_string))
        .bind(fmt_instant(at))
        .bind(user_id)
        .bind(petition_id)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(())
    }

    /// The lane as `unit_ids` see it (through the viewer index), newest first.
    pub async fn green_channel_list(&self, unit_ids: &[i64], f: &GreenFilter) -> Result<Vec<GreenRow>> {
        let mut sql = Sql::new(&format!(
            "SELECT {COLUMNS} FROM green_channel g JOIN petitions p ON p.id = g.petition_id \
             WHERE EXISTS (SELECT 1 FROM petition_viewers v WHERE v.petition_id = g.petition_id AND "
        ));
        crate::petitions::viewer_in(&mut sql, "v.unit_id", unit_ids);
        sql.push(")");
        if !f.with_rejected {
            sql.push(" AND g.state <> 'rejected'");
        }
        if let Some(d) = &f.from {
            sql.push(" AND g.received_on >= ").bind(Arg::S(d.clone()));
        }
        if let Some(d) = &f.to {
            sql.push(" AND g.received_on <= ").bind(Arg::S(d.clone()));
        }
        if let Some(d) = &f.contact_overdue_on {
            sql.push(" AND g.contacted_at IS NULL AND g.contact_due < ").bind(Arg::S(d.clone()));
        }
        sql.push(" ORDER BY g.received_on DESC, g.petition_id DESC LIMIT ").bind(Arg::I(f.limit));
        sql.query().fetch_all(&self.pool).await?.iter().map(row).collect()
    }
}

/// `Store::green_channel_of` on a connection already held.
pub(crate) async fn green_channel_of_on(c: &mut sqlx::AnyConnection, petition_id: i64) -> Result<Option<GreenRow>> {
    let r = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM green_channel g JOIN petitions p ON p.id = g.petition_id WHERE g.petition_id = $1"
    )))
    .bind(petition_id)
    .fetch_optional(c)
    .await?;
    r.as_ref().map(row).transpose()
}
